# Assay in a container: Debian 12 with the extractors unblob calls, Assay installed from this
# checkout into /opt/assay. Build and run (the image to scan is mounted at /scan):
#
#   docker build -t assay .          (or: podman build -t assay .)
#   docker run --rm -v "$PWD:/scan" assay scan firmware.bin -o sarif=assay.sarif
#
# The extractor list is the Makefile's APT_EXTRACTORS, word for word (a test holds them equal).
FROM debian:12-slim

ARG APT_EXTRACTORS="squashfs-tools p7zip-full unar lzop lziprecover zstd lz4 xz-utils cpio \
	android-sdk-libsparse-utils e2fsprogs erofs-utils partclone cabextract mtd-utils \
	libmagic1 libcairo2 fonts-dejavu-core gpgv"

ENV DEBIAN_FRONTEND=noninteractive \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
       $APT_EXTRACTORS \
    && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml README.md LICENSE /tmp/assay-src/
COPY src /tmp/assay-src/src
RUN python3 -m venv /opt/assay \
    && /opt/assay/bin/pip install /tmp/assay-src \
    && rm -rf /tmp/assay-src \
    && useradd --create-home --uid 1000 assay

# Assay's data (vulnerability store, registry) lives in ASSAY_HOME; /scan is the work folder.
ENV PATH=/opt/assay/bin:$PATH \
    ASSAY_HOME=/home/assay/.local/share/assay
USER assay
WORKDIR /scan
ENTRYPOINT ["assay"]
CMD ["--help"]
