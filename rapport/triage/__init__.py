"""Message triage: what an inbound message is, how it feels, and how urgent it is.

A pure-Python library (numpy and scipy at run time; scikit-learn only to train)
that never imports Django. ``default_engine().classify_batch(texts)`` returns one
``Triage`` per text. See ``rules`` for the composite labels (kind, persona,
urgency, brand risk), ``models/README.md`` for the training data and scores.
"""

from rapport.triage.engine import Engine, ModelsMissingError, Triage, default_engine
from rapport.triage.labels import EMOTIONS, KINDS, PERSONAS, RISK_TOPICS, SENTIMENTS, URGENCIES

__all__ = [
    "EMOTIONS",
    "KINDS",
    "PERSONAS",
    "RISK_TOPICS",
    "SENTIMENTS",
    "URGENCIES",
    "Engine",
    "ModelsMissingError",
    "Triage",
    "default_engine",
]
