"""The accounting platforms Milepost bills through (each one's quirks live in its own modules)."""

PLATFORMS = ("quickbooks", "xero")
