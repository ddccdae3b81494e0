"""The Bus seam: base.py is the contract; local.py and redis.py keep it."""
