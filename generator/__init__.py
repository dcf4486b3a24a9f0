"""Realistic landing data for kpiwatch: what a national operator's systems export.

``generate()`` writes a landing folder per the landing contract
(docs/landing-contract.md) and a manifest of everything it planted: incidents that break
the standard, invalid rows, duplicate, late and unreadable files. See ``landing.py`` for the layout.
"""

from generator.landing import MANIFEST, TRUTH, generate

__all__ = ["MANIFEST", "TRUTH", "generate"]
