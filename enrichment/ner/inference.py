"""Fast word-level tagging on CPU: one tokenizer call, windows for long inputs, batches by length, BIO decoding.

All sentences are cut into word pieces in one batched tokenizer call; model inputs are then assembled
from those pieces (no second tokenization). A sentence longer than the model's piece budget is cut
into overlapping windows of whole words; each word takes its label from the window in which it sits
farthest from a cut edge, so it always has context on both sides. Windows are sorted by length before
batching, so padding stays small. Decoding takes each word's most likely label when that sequence is
valid BIO (almost always) and runs a constrained Viterbi otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt
import torch
from transformers import PreTrainedTokenizerBase

from enrichment.ner.casing import PAD, sentence_casing

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]
IdArray = npt.NDArray[np.int64]


class PieceScorer(Protocol):
    """The encoder and label head: piece ids, attention mask and casing classes (all ``batch x pieces``)
    to label log-probabilities (``batch x pieces x labels``)."""

    def __call__(self, input_ids: IdArray, attention_mask: IdArray, casing_ids: IdArray) -> FloatArray: ...


class TorchScorer:
    """A torch token classifier (any precision) behind ``PieceScorer``; puts it in eval mode on each call."""

    def __init__(self, model: torch.nn.Module) -> None:
        self.model = model

    def __call__(self, input_ids: IdArray, attention_mask: IdArray, casing_ids: IdArray) -> FloatArray:
        self.model.eval()
        with torch.inference_mode():
            logits = self.model(torch.from_numpy(input_ids), torch.from_numpy(attention_mask),
                                torch.from_numpy(casing_ids))
            return torch.log_softmax(logits.float(), dim=-1).numpy()


@dataclass(frozen=True)
class Window:
    sentence: int
    start: int
    end: int
    pieces: int


@dataclass(frozen=True)
class PiecedSentence:
    """A sentence's word pieces (no special tokens) and, per word, where its pieces start and end."""

    ids: list[int]
    word_starts: list[int]
    word_ends: list[int]

    @property
    def counts(self) -> list[int]:
        return [end - start for start, end in zip(self.word_starts, self.word_ends, strict=True)]


def piece_sentences(tokenizer: PreTrainedTokenizerBase, sentences: Sequence[Sequence[str]]) -> list[PiecedSentence]:
    """Word pieces of every sentence in one tokenizer call; a word that yields no piece becomes ``[UNK]``.

    Calls the Rust tokenizer behind ``tokenizer`` directly: the Python conversion of its output to
    ``BatchEncoding`` took a fifth of tagging time.
    """
    non_empty = [list(words) for words in sentences if words]
    encodings = (
        tokenizer.backend_tokenizer.encode_batch(non_empty, is_pretokenized=True, add_special_tokens=False)
        if non_empty else []
    )
    unknown = int(tokenizer.unk_token_id if tokenizer.unk_token_id is not None else 0)
    results: list[PiecedSentence] = []
    row = 0
    for words in sentences:
        if not words:
            results.append(PiecedSentence([], [], []))
            continue
        encoding = encodings[row]
        row += 1
        by_word: list[list[int]] = [[] for _ in words]
        for piece, word in zip(encoding.ids, encoding.word_ids, strict=True):
            if word is not None:
                by_word[word].append(piece)
        ids: list[int] = []
        starts: list[int] = []
        ends: list[int] = []
        for pieces in by_word:
            starts.append(len(ids))
            ids.extend(pieces or [unknown])
            ends.append(len(ids))
        results.append(PiecedSentence(ids, starts, ends))
    return results


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


def allowed_transitions(labels: Sequence[str]) -> BoolArray:
    """``allowed[previous, current]``: an ``I-X`` may only follow ``B-X`` or ``I-X``."""
    size = len(labels)
    allowed = np.ones((size, size), dtype=np.bool_)
    for current, label in enumerate(labels):
        if label.startswith("I-"):
            for previous, before in enumerate(labels):
                allowed[previous, current] = before[2:] == label[2:] and before != "O"
    return allowed


def allowed_starts(labels: Sequence[str]) -> BoolArray:
    return np.array([not label.startswith("I-") for label in labels], dtype=np.bool_)


def constrained_decode(log_probs: FloatArray | torch.Tensor, allowed: BoolArray, starts: BoolArray) -> list[int]:
    """Best valid BIO path: the per-word argmax when valid, else Viterbi (no learned transitions)."""
    scores = np.asarray(log_probs, dtype=np.float32)
    allowed, starts = np.asarray(allowed), np.asarray(starts)
    steps = scores.shape[0]
    if steps == 0:
        return []
    best = scores.argmax(axis=1)
    if starts[best[0]] and bool(allowed[best[:-1], best[1:]].all()):
        return [int(label) for label in best]
    transition = np.where(allowed, np.float32(0.0), np.float32(-np.inf))
    score = np.where(starts, scores[0], np.float32(-np.inf))
    back: list[npt.NDArray[np.intp]] = []
    for step in range(1, steps):
        candidates = score[:, None] + transition
        pointer = candidates.argmax(axis=0)
        score = candidates[pointer, np.arange(candidates.shape[1])] + scores[step]
        back.append(pointer)
    path = [int(score.argmax())]
    for pointer in reversed(back):
        path.append(int(pointer[path[-1]]))
    return path[::-1]


class WordTagger:
    """Tags pre-split words with BIO labels and a confidence per word."""

    def __init__(
        self,
        scorer: PieceScorer,
        tokenizer: PreTrainedTokenizerBase,
        labels: Sequence[str],
        max_length: int,
        batch_size: int = 64,
        overlap: int | None = None,
    ) -> None:
        self.scorer = scorer
        self.tokenizer = tokenizer
        self.labels = tuple(labels)
        self.max_length = max_length
        self.budget = max_length - 2  # [CLS] and [SEP]
        self.overlap = self.budget // 4 if overlap is None else overlap
        self.batch_size = batch_size
        self._allowed = allowed_transitions(self.labels)
        self._starts = allowed_starts(self.labels)
        self._cls = int(tokenizer.cls_token_id if tokenizer.cls_token_id is not None else 101)
        self._sep = int(tokenizer.sep_token_id if tokenizer.sep_token_id is not None else 102)
        self._pad = int(tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0)

    def tag(self, sentences: Sequence[Sequence[str]]) -> list[list[tuple[str, float]]]:
        pieced = piece_sentences(self.tokenizer, sentences)
        windows: list[Window] = []
        plans: list[list[tuple[int, int]]] = []
        for index, sentence in enumerate(pieced):
            counts = sentence.counts
            plan = plan_windows(counts, self.budget, self.overlap)
            plans.append(plan)
            windows.extend(Window(index, start, end, sum(counts[start:end])) for start, end in plan)

        window_scores = self._score_windows(sentences, pieced, windows)
        by_key = {(w.sentence, w.start, w.end): scores for w, scores in zip(windows, window_scores, strict=True)}

        results: list[list[tuple[str, float]]] = []
        for index, words in enumerate(sentences):
            plan = plans[index]
            if not words:
                results.append([])
                continue
            if len(plan) == 1:
                log_probs = by_key[(index, *plan[0])]
            else:
                rows = []
                for word in range(len(words)):
                    start, end = plan[owning_window(word, plan, len(words))]
                    rows.append(by_key[(index, start, end)][word - start])
                log_probs = np.stack(rows)
            path = constrained_decode(log_probs, self._allowed, self._starts)
            # One vectorised exp per sentence rather than a numpy scalar call per word.
            confidences = np.exp(log_probs[np.arange(len(path)), path]).tolist()
            results.append([(self.labels[label], confidence)
                            for label, confidence in zip(path, confidences, strict=True)])
        return results

    def _score_windows(
        self, sentences: Sequence[Sequence[str]], pieced: Sequence[PiecedSentence], windows: Sequence[Window]
    ) -> list[FloatArray]:
        """Per-word label log-probabilities for each window (shape words x labels)."""
        order = sorted(range(len(windows)), key=lambda i: windows[i].pieces)
        scores: list[FloatArray | None] = [None] * len(windows)
        for offset in range(0, len(order), self.batch_size):
            chunk = order[offset : offset + self.batch_size]
            rows = [self._window_inputs(sentences, pieced, windows[i]) for i in chunk]
            width = max(len(ids) for ids, _, _ in rows)
            # Padded rows joined into flat lists and converted once (row-by-row numpy assignment cost
            # a tenth of the Python time per batch).
            flat_ids: list[int] = []
            flat_casing: list[int] = []
            flat_attention: list[int] = []
            for ids, casing, _ in rows:
                padding = width - len(ids)
                flat_ids.extend(ids)
                flat_ids.extend([self._pad] * padding)
                flat_casing.extend(casing)
                flat_casing.extend([PAD] * padding)
                flat_attention.extend([1] * len(ids))
                flat_attention.extend([0] * padding)
            shape = (len(rows), width)
            input_ids = np.array(flat_ids, dtype=np.int64).reshape(shape)
            casing_ids = np.array(flat_casing, dtype=np.int64).reshape(shape)
            attention = np.array(flat_attention, dtype=np.int64).reshape(shape)
            log_probs = self.scorer(input_ids, attention, casing_ids)
            for row, window_index in enumerate(chunk):
                scores[window_index] = log_probs[row, rows[row][2]]
        return [score for score in scores if score is not None]

    def _window_inputs(
        self, sentences: Sequence[Sequence[str]], pieced: Sequence[PiecedSentence], window: Window
    ) -> tuple[list[int], list[int], list[int]]:
        """Piece ids with ``[CLS]``/``[SEP]``, the casing class of each piece, and each word's first piece.

        A word whose pieces fall past the budget (one over-long word) is cut; a word left with no piece
        reads its scores at ``[CLS]``.
        """
        sentence = pieced[window.sentence]
        first, last = sentence.word_starts[window.start], sentence.word_ends[window.end - 1]
        last = min(last, first + self.budget)
        words = sentences[window.sentence][window.start : window.end]
        casing = sentence_casing(list(words), starts_sentence=window.start == 0)
        piece_casing = [PAD]
        firsts: list[int] = []
        for offset, word_casing in enumerate(casing):
            word = window.start + offset
            start, end = sentence.word_starts[word], min(sentence.word_ends[word], last)
            firsts.append(1 + start - first if start < last else 0)
            piece_casing.extend([word_casing] * max(end - start, 0))
        piece_casing.append(PAD)
        ids = [self._cls, *sentence.ids[first:last], self._sep]
        return ids, piece_casing, firsts
