"""One vocabulary: the engine, the model, the display and the window use the same names."""

from __future__ import annotations

import subprocess
import sys

import pytest

from filterstudio.core import convolution, display, reference, vocabulary
from filterstudio.model import bank


def test_every_user_of_a_choice_reads_the_vocabulary():
    assert bank.BORDERS is vocabulary.BORDERS and reference.BORDERS is vocabulary.BORDERS
    assert bank.PADDING_NAMES is vocabulary.PADDING_NAMES
    assert bank.ACTIVATIONS is vocabulary.ACTIVATIONS
    assert bank.CHANNEL_MODES is vocabulary.CHANNEL_MODES
    assert display.MAPPINGS is vocabulary.MAPPINGS
    # The engine keeps its own tuples next to its OpenCV table; they must say the same.
    assert convolution.BORDERS == vocabulary.BORDERS
    assert convolution.PADDING_NAMES == vocabulary.PADDING_NAMES


@pytest.mark.parametrize(
    "terms",
    [
        vocabulary.BORDER_TERMS,
        vocabulary.PADDING_TERMS,
        vocabulary.ACTIVATION_TERMS,
        vocabulary.CHANNEL_MODE_TERMS,
        vocabulary.MAPPING_TERMS,
    ],
)
def test_every_choice_has_a_label_and_a_sentence(terms):
    names = [t.name for t in terms]
    assert len(set(names)) == len(names)
    for t in terms:
        assert t.label.strip() and t.tip.strip()


def test_term_lookup():
    assert vocabulary.term(vocabulary.ACTIVATION_TERMS, "relu").label == "ReLU"
    with pytest.raises(KeyError):
        vocabulary.term(vocabulary.BORDER_TERMS, "mirror")
    assert vocabulary.CUSTOM_PADDING.name not in vocabulary.PADDING_NAMES


def test_the_vocabulary_loads_nothing_else():
    code = (
        "import sys, filterstudio.core.vocabulary; "
        "print(','.join(m for m in ('numpy', 'cv2', 'PIL', 'PySide6') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
