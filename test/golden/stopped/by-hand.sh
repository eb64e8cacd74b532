set -eu
docker stop dbform-shop >/dev/null
