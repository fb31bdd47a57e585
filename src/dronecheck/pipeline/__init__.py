"""The pipeline ties the stages together: `scan` runs a flight through ingest, detect, georef and
analyse into the ledger and the writers; `history` works on past runs from the ledger; `tiles`
decides how each photo goes to the model; `outputs` writes a run's files."""
