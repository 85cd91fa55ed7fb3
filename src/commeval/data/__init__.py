"""Data layer: the contract, ingestion of raw files, validation, privacy, processed tables and the
synthetic sample district. Depends on nothing else in commeval."""
