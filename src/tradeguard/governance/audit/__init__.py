"""The audit harness: efficacy, validity, reliability, robustness, bias and security checks
against thresholds declared in advance, written up as ``report.html`` and ``evidence.json``.

Entry points: :func:`tradeguard.governance.audit.harness.run_audit`,
:func:`tradeguard.governance.audit.report.write_outputs`,
:func:`tradeguard.governance.audit.demo.demo_audit_input`.
"""
