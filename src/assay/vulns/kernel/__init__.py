"""Linux kernel CVEs against what the image shows of its kernel: architecture, modules,
symbols, source files, configuration (``evidence``), and the decision per CVE
(``applicability``)."""

from assay.vulns.kernel.applicability import Decision, decide
from assay.vulns.kernel.evidence import KernelEvidence, gather

KERNEL = ("linux", "linux_kernel")

__all__ = ["KERNEL", "Decision", "KernelEvidence", "decide", "gather"]
