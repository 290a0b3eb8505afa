"""Corpus-scale audits: many firmware images scanned on a Dask cluster, results in the registry
(see docs/corpus.md). Dask is an optional extra (``pip install assay[dask]``) imported only by
``assay corpus``; this package reads the pipeline and writes the registry, never the reverse."""
