"""Check QuickBooks JSON against Intuit's V3 schema: the sandbox's own reader of the XSDs.

The sandbox refuses request bodies with the same module (``connector.sandbox.quickbooks.schema``)
and its in-repository copy of the XSDs; the tests use it to check every answer.
"""

from connector.sandbox.quickbooks.schema import load, schema_problems

__all__ = ["load", "schema_problems"]
