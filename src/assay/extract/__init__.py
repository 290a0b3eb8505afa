"""Stage 1: turn what the user gave (image, directory, archive) into root filesystems."""
