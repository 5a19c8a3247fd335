"""HS classification check: does a goods description read as its declared heading?

A nearest-centroid text model over word and character n-grams, trained offline on tariff text
(``scripts/train_hs_classifier.py``) and shipped as plain data (``hs_model.json.gz``, no
pickle). :class:`ClassificationDetector` is the line detector; :class:`HSClassifier` gives
top-k headings for any descriptions.
"""

from tradeguard.detectors.classification.artifact import (
    SHIPPED_ARTIFACT,
    ClassifierArtifact,
    load_artifact,
)
from tradeguard.detectors.classification.detector import (
    ClassificationConfig,
    ClassificationDetector,
)
from tradeguard.detectors.classification.model import Assessment, HSClassifier
from tradeguard.detectors.classification.trade_text import normalize_description

__all__ = [
    "SHIPPED_ARTIFACT",
    "Assessment",
    "ClassificationConfig",
    "ClassificationDetector",
    "ClassifierArtifact",
    "HSClassifier",
    "load_artifact",
    "normalize_description",
]
