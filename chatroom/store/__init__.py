"""The Store seam: base.py is the contract; sqlite.py and postgres.py keep it."""
