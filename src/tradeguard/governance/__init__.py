"""Accountability: the registry, model cards, impact assessments, the deployment gate, the
audit harness, monitoring and the reports an oversight body asks for.

Import the submodules directly; this package imports nothing heavy.
"""
