#!/usr/bin/env bash
# Fill a clone of a Hugging Face Space (Docker SDK) with this project, ready to push.
#
#   git clone https://huggingface.co/spaces/YOU/attention-explorer space
#   deploy/spaces/prepare.sh space
#   cd space && git add -A && git commit -m "Attention Explorer" && git push
#
# Copies the committed files (HEAD) except docs/ (Spaces refuse plain-git binary files such
# as the screenshots, and the image does not need them) and puts deploy/spaces/README.md,
# whose front matter says `sdk: docker` and `app_port: 8501`, in place of README.md.
# The lab's shipped runs are binary and go through Git LFS: run `git lfs install` once.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dest="${1:?usage: deploy/spaces/prepare.sh SPACE_CLONE_DIR}"
[[ -d "$dest" ]] || { echo "prepare: $dest is not a folder (clone the Space first)" >&2; exit 1; }
dest="$(cd "$dest" && pwd)"
[[ "$dest" != "$ROOT" ]] || { echo "prepare: give the Space's clone, not this checkout" >&2; exit 1; }
# Remove what an earlier run copied (everything but the Space's .git and .gitattributes).
find "$dest" -mindepth 1 -maxdepth 1 ! -name .git ! -name .gitattributes -exec rm -rf {} +
git -C "$ROOT" archive --format=tar HEAD | tar -x -C "$dest" --exclude='docs'
cp "$ROOT/deploy/spaces/README.md" "$dest/README.md"
# The lab's shipped runs (attention/lab/runs/*.npz, *.safetensors) are binary: a Space takes
# them through Git LFS, as its default .gitattributes already says; make sure it does.
for pattern in '*.npz' '*.safetensors'; do
  grep -qsF "$pattern filter=lfs" "$dest/.gitattributes" \
    || echo "$pattern filter=lfs diff=lfs merge=lfs -text" >> "$dest/.gitattributes"
done
echo "prepare: $dest holds the Space; review it, then git add -A, commit and push"
