"""Loading landing files into the warehouse's raw layer: ``kpiwatch ingest``.

``landing_file`` finds, hashes and decodes delivered files; ``rules`` turns docs/landing-contract.md
into the SQL that types and validates every row; ``store`` owns the raw and audit
tables; ``loader`` loads each file in one transaction and reconciles its counts.
"""
