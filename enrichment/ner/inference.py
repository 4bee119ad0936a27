"""Fast word-level tagging on CPU: windows for long inputs, batches by length, BIO-constrained decoding.

A sentence longer than the model's piece budget is cut into overlapping windows of whole words;
each word takes its label from the window in which it sits farthest from a cut edge, so it always
has context on both sides. Windows are sorted by length before batching, so padding stays small.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from transformers import PreTrainedTokenizerBase

from enrichment.ner.model import CasedTokenClassifier, encode_words, word_piece_counts


@dataclass(frozen=True)
class Window:
    sentence: int
    start: int
    end: int
    pieces: int


def plan_windows(piece_counts: Sequence[int], budget: int, overlap: int) -> list[tuple[int, int]]:
    """Word ranges ``[start, end)`` of at most ``budget`` pieces each, sharing about ``overlap`` pieces.

    A single word longer than the budget gets a window of its own (the encoder truncates its tail
    pieces; its first piece, which carries its label, survives).
    """
    total = len(piece_counts)
    if total == 0:
        return []
    windows: list[tuple[int, int]] = []
    start = 0
    while True:
        end, used = start, 0
        while end < total and (end == start or used + piece_counts[end] <= budget):
            used += piece_counts[end]
            end += 1
        windows.append((start, end))
        if end >= total:
            return windows
        next_start, shared = end, 0
        while next_start - 1 > start and shared + piece_counts[next_start - 1] <= overlap:
            next_start -= 1
            shared += piece_counts[next_start]
        start = max(next_start, start + 1)


def owning_window(word: int, windows: Sequence[tuple[int, int]], total: int) -> int:
    """Index of the window in which ``word`` is farthest from a cut (text edges are not cuts)."""
    best, best_margin = 0, -1
    for index, (start, end) in enumerate(windows):
        if not start <= word < end:
            continue
        left = word - start if start > 0 else total
        right = end - 1 - word if end < total else total
        margin = min(left, right)
        if margin > best_margin:
            best, best_margin = index, margin
    return best


def allowed_transitions(labels: Sequence[str]) -> torch.Tensor:
    """``allowed[previous, current]``: an ``I-X`` may only follow ``B-X`` or ``I-X``."""
    size = len(labels)
    allowed = torch.ones(size, size, dtype=torch.bool)
    for current, label in enumerate(labels):
        if label.startswith("I-"):
            for previous, before in enumerate(labels):
                allowed[previous, current] = before[2:] == label[2:] and before != "O"
    return allowed


def allowed_starts(labels: Sequence[str]) -> torch.Tensor:
    return torch.tensor([not label.startswith("I-") for label in labels], dtype=torch.bool)


def constrained_decode(log_probs: torch.Tensor, allowed: torch.Tensor, starts: torch.Tensor) -> list[int]:
    """Best valid BIO path (Viterbi over word log-probabilities, no learned transitions)."""
    steps = log_probs.shape[0]
    if steps == 0:
        return []
    blocked = torch.tensor(float("-inf"))
    score = torch.where(starts, log_probs[0], blocked)
    transition = torch.where(allowed, torch.tensor(0.0), blocked)
    back: list[torch.Tensor] = []
    for step in range(1, steps):
        candidates = score.unsqueeze(1) + transition
        score, pointer = candidates.max(dim=0)
        score = score + log_probs[step]
        back.append(pointer)
    path = [int(score.argmax())]
    for pointer in reversed(back):
        path.append(int(pointer[path[-1]]))
    return path[::-1]


class WordTagger:
    """Tags pre-split words with BIO labels and a confidence per word."""

    def __init__(
        self,
        model: CasedTokenClassifier | torch.nn.Module,
        tokenizer: PreTrainedTokenizerBase,
        labels: Sequence[str],
        max_length: int,
        batch_size: int = 64,
        overlap: int | None = None,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.labels = tuple(labels)
        self.max_length = max_length
        self.budget = max_length - 2  # [CLS] and [SEP]
        self.overlap = self.budget // 4 if overlap is None else overlap
        self.batch_size = batch_size
        self._allowed = allowed_transitions(self.labels)
        self._starts = allowed_starts(self.labels)

    def tag(self, sentences: Sequence[Sequence[str]]) -> list[list[tuple[str, float]]]:
        windows: list[Window] = []
        plans: list[list[tuple[int, int]]] = []
        for index, words in enumerate(sentences):
            counts = word_piece_counts(self.tokenizer, words)
            plan = plan_windows(counts, self.budget, self.overlap)
            plans.append(plan)
            windows.extend(Window(index, start, end, sum(counts[start:end])) for start, end in plan)

        window_scores = self._score_windows(sentences, windows)
        by_key = {(w.sentence, w.start, w.end): scores for w, scores in zip(windows, window_scores, strict=True)}

        results: list[list[tuple[str, float]]] = []
        for index, words in enumerate(sentences):
            plan = plans[index]
            if not words:
                results.append([])
                continue
            rows = []
            for word in range(len(words)):
                start, end = plan[owning_window(word, plan, len(words))]
                rows.append(by_key[(index, start, end)][word - start])
            log_probs = torch.stack(rows)
            path = constrained_decode(log_probs, self._allowed, self._starts)
            results.append(
                [(self.labels[label], float(log_probs[i, label].exp())) for i, label in enumerate(path)]
            )
        return results

    def _score_windows(self, sentences: Sequence[Sequence[str]], windows: Sequence[Window]) -> list[torch.Tensor]:
        """Per-word label log-probabilities for each window (shape words x labels)."""
        order = sorted(range(len(windows)), key=lambda i: windows[i].pieces)
        scores: list[torch.Tensor | None] = [None] * len(windows)
        self.model.eval()
        with torch.inference_mode():
            for offset in range(0, len(order), self.batch_size):
                chunk = order[offset : offset + self.batch_size]
                word_lists = [sentences[windows[i].sentence][windows[i].start : windows[i].end] for i in chunk]
                starts = [windows[i].start == 0 for i in chunk]
                batch = encode_words(self.tokenizer, word_lists, self.max_length, starts)
                logits = self.model(batch.input_ids, batch.attention_mask, batch.casing_ids)
                log_probs = torch.log_softmax(logits.float(), dim=-1)
                for row, window_index in enumerate(chunk):
                    firsts = torch.tensor([max(p, 0) for p in batch.first_pieces[row]], dtype=torch.long)
                    scores[window_index] = log_probs[row, firsts]
        return [score for score in scores if score is not None]
