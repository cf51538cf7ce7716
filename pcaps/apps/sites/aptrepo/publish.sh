# publish.sh REPO GNUPGHOME ROUND - (re)builds the lab's Debian repository under REPO/debian:
# a few .deb made with dpkg-deb, indexes by apt-ftparchive, Release signed into InRelease and
# Release.gpg. ROUND > 0 adds a new upload (a new version of one package), as a real archive does.
set -e
repo=$1 gh=$2 round=$3
pool=$repo/debian/pool/main
mkdir -p "$pool"
mkpkg() {   # NAME VERSION ARCH DESC SIZEKB
    local n=$1 v=$2 a=$3 d=$4 kb=$5 b
    [ -f "$pool/${n:0:1}/$n/${n}_${v}_$a.deb" ] && return 0
    b=$(mktemp -d)
    mkdir -p "$b/DEBIAN" "$b/usr/share/doc/$n" "$b/usr/lib/$n"
    printf 'Package: %s\nVersion: %s\nArchitecture: %s\nMaintainer: Lab Ops <ops@lab.example>\nSection: admin\nPriority: optional\nDepends: %s\nDescription: %s\n Built for the TrafficSensor benign lab.\n' \
        "$n" "$v" "$a" "${6:-libc6}" "$d" > "$b/DEBIAN/control"
    head -c $((kb * 1024)) /dev/urandom > "$b/usr/lib/$n/payload.bin"
    printf '%s (%s) stable; urgency=medium\n\n  * Release %s.\n\n -- Lab Ops <ops@lab.example>  %s\n' "$n" "$v" "$v" "$(date -R)" | gzip -9n > "$b/usr/share/doc/$n/changelog.Debian.gz"
    mkdir -p "$pool/${n:0:1}/$n"
    dpkg-deb -Zgzip --root-owner-group -b "$b" "$pool/${n:0:1}/$n/${n}_${v}_$a.deb" > /dev/null
    rm -rf "$b"
}
mkpkg lab-agent 2.3.0-1 amd64 "lab monitoring agent" 180
mkpkg lab-tools 1.8.2-1 amd64 "lab command line tools" 90
mkpkg lab-docs 1.0-3 all "lab documentation" 300
mkpkg liblabcore1 0.9.4-2 amd64 "lab core library" 120 "libc6 (>= 2.36)"
mkpkg lab-backup 3.1.0-1 all "lab backup scripts" 40 "lab-tools (>= 1.8)"
mkpkg lab-certs 2026.11-1 all "lab CA certificates" 8 "ca-certificates"
if [ "$round" -gt 0 ]; then
    mkpkg lab-agent "2.3.$round-1" amd64 "lab monitoring agent" 180
    ((round % 2)) && mkpkg lab-tools "1.8.$((2 + round))-1" amd64 "lab command line tools" 90
fi
cd "$repo/debian"
for dist in bookworm-lab; do
    for arch in amd64 all; do
        mkdir -p "dists/$dist/main/binary-$arch"
        apt-ftparchive --arch "$arch" packages pool/main > "dists/$dist/main/binary-$arch/Packages"
        gzip -9nkf "dists/$dist/main/binary-$arch/Packages"
        xz -kf "dists/$dist/main/binary-$arch/Packages"
    done
    mkdir -p "dists/$dist/main/i18n"
    apt-ftparchive -o APT::FTPArchive::Release::Origin="Lab" -o APT::FTPArchive::Release::Label="Lab" \
        -o APT::FTPArchive::Release::Suite="$dist" -o APT::FTPArchive::Release::Codename="$dist" \
        -o APT::FTPArchive::Release::Architectures="amd64 all" -o APT::FTPArchive::Release::Components="main" \
        -o APT::FTPArchive::Release::Acquire-By-Hash="no" release "dists/$dist" > "dists/$dist/Release.new"
    mv "dists/$dist/Release.new" "dists/$dist/Release"
    GNUPGHOME=$gh gpg --batch --yes --pinentry-mode loopback --passphrase '' -u repo@lab.example --clearsign -o "dists/$dist/InRelease" "dists/$dist/Release"
    GNUPGHOME=$gh gpg --batch --yes --pinentry-mode loopback --passphrase '' -u repo@lab.example -abs -o "dists/$dist/Release.gpg" "dists/$dist/Release"
done
chmod -R a+rX "$repo"
