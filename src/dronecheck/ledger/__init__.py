"""What dronecheck remembers between runs: the SQLite ledger (`sqlite`), the lock that keeps two
scans off one ledger (`lock`), and its check and backup (`maintenance`)."""
