"""What dronecheck remembers between runs: the SQLite ledger (`sqlite`) and the lock that keeps two
scans off one ledger (`lock`)."""
