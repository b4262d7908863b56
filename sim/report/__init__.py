"""What people read: the tables, timelines, charts and HTML pages drawn from run results, and
the stories that explain an anomaly record by record. It reads results; it never runs a
scenario (the caller hands it runs) and never parses arguments (`sim.cli` does)."""
