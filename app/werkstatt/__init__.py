"""The designer's workbench: procedures with versions, the BPMN modeler, drafts, checks, form preview, test runs.

Drafts and test runs never touch running Vorgänge; only deploying a draft creates a new version (docs/werkstatt.md).
"""
