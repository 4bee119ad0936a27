"""Risk model for inspection and post-clearance audit selection (WCO BACUDA / DATE line of work)."""
