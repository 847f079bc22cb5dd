"""The auditors' contract timeline: every event of a contract, its application and its ceilings."""
