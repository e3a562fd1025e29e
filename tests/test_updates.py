"""The updates check's reading of apt's answers (the check itself: tests/test_images.py)."""

import pytest

from pipeline.checks import updates
from pipeline.checks.result import CheckFailed

SUITES = "n=bookworm n=bookworm-security n=bookworm-updates \n"


def test_an_image_with_every_update_passes():
    assert "every Debian package at its newest" in updates.verdict(SUITES)


def test_each_package_behind_is_named_with_both_versions_and_its_suite():
    listed = (
        "libssl3/bookworm-security 3.0.22-1~deb12u2 amd64 [upgradable from: 3.0.20-1~deb12u2]\n"
        "openssl/bookworm-security,bookworm-security 3.0.22-1~deb12u2 amd64 [upgradable from: 3.0.20-1~deb12u2]\n"
    )
    with pytest.raises(
        CheckFailed,
        match=r"2 Debian packages .*: libssl3 3.0.20-1~deb12u2 -> 3.0.22-1~deb12u2 "
        r"\(bookworm-security\), openssl .*rebuild with --refresh",
    ):
        updates.verdict(SUITES + listed)


def test_sources_without_the_security_suite_fail():
    with pytest.raises(CheckFailed, match="apt sources lack bookworm-updates, bookworm-security"):
        updates.verdict("n=bookworm \n")
