"""Stage 2: find exactly what is inside a root filesystem (packages, binaries, kernel, OS)."""
