"""The package's names: what dir() lists is what it offers, and every one of them resolves."""

from __future__ import annotations

import filterstudio


def test_dir_lists_the_public_names_and_each_resolves():
    names = dir(filterstudio)
    assert set(names) == set(filterstudio.__all__)
    assert not {"TYPE_CHECKING", "annotations", "lazy_attributes"} & set(names)
    for name in names:
        assert getattr(filterstudio, name) is not None
