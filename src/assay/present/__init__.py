"""Stage 6: render the Assessment (SBOM, native JSON, reports, label)."""
