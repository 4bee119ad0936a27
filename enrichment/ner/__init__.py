"""Named-entity recognition (PER, ORG, LOC, MISC) in free text: crawled pages, PNR remarks, goods descriptions.

A fine-tuned MiniLM token classifier with casing features (``model``), trained by ``training`` and
loaded from a local directory by ``recognizer.load_recognizer``; ``record_tagging.tag_record`` is the
pure stage that fills ``Record.mentions``. ``gazetteer`` is a dictionary tagger used as a baseline.
"""

from enrichment.ner.recognizer import Recognizer, TokenTagger, TransformerRecognizer, load_recognizer
from enrichment.ner.record_tagging import tag_record, tag_records

__all__ = ["Recognizer", "TokenTagger", "TransformerRecognizer", "load_recognizer", "tag_record", "tag_records"]
