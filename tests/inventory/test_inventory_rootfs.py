"""Root filesystems: dpkg, apk and rpm databases with the distribution from os-release, the
system Python's packages, and symlinks that mean what they would inside the image.

The rpm fixture (tests/inventory/data/rootfs/rocky/var/lib/rpm/rpmdb.sqlite) was written by rpm
4.18 itself: two no-file packages built with rpmbuild (one with an epoch), installed with
`rpm --root <fixture> --dbpath /var/lib/rpm -i --justdb --nodeps`.
"""

from __future__ import annotations

import shutil
import sqlite3
import struct
from pathlib import Path

import pytest

from firstpatch.errors import TargetError
from firstpatch.inventory import osv_ecosystem, osv_package, rootfs_components
from firstpatch.inventory.rpmdb import HeaderError, read_header
from firstpatch.model import Component, Skipped

DATA = Path(__file__).parent / "data" / "rootfs"


def rows(components: tuple[Component, ...]) -> list[tuple[str, str | None, bool, str, int]]:
    return [(c.purl, c.version, c.direct, c.locations[0].path, c.locations[0].line) for c in components]


def test_debian_dpkg_status_status_d_apt_marks_and_system_python() -> None:
    components, problems = rootfs_components(DATA / "debian")
    assert rows(components) == [
        (
            "pkg:deb/debian/base-files@12.4%2Bdeb12u5?arch=amd64&distro=debian-12",
            "12.4+deb12u5",
            True,
            "var/lib/dpkg/status",
            1,
        ),
        (
            "pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5?arch=amd64&distro=debian-12",
            "7.88.1-10+deb12u5",
            True,
            "var/lib/dpkg/status",
            46,
        ),
        (
            "pkg:pypi/flask@2.2.2",
            "2.2.2",
            True,  # REQUESTED: installed on request
            "usr/local/lib/python3.11/dist-packages/flask-2.2.2.dist-info/METADATA",
            3,
        ),
        (
            "pkg:deb/debian/libgcrypt20@1.10.1-3%2Bb1?arch=amd64&distro=debian-12&upstream=libgcrypt20%401.10.1-3",
            "1.10.1-3+b1",
            True,
            "var/lib/dpkg/status",
            28,
        ),
        # apt's extended_states: installed automatically, so transitive
        (
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl",
            "3.0.11-1~deb12u2",
            False,
            "var/lib/dpkg/status",
            15,
        ),
        (
            "pkg:pypi/requests@2.28.1",
            "2.28.1",
            False,
            "usr/lib/python3/dist-packages/requests-2.28.1.dist-info/METADATA",
            3,
        ),
        # distroless images keep one file per package in status.d
        (
            "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12&upstream=zlib",
            "1:1.2.13.dfsg-1",
            True,
            "var/lib/dpkg/status.d/zlib1g",
            1,
        ),
    ]  # tzdata is `deinstall ok config-files`: removed, not listed
    assert problems == ()
    by_name = {c.name: c for c in components}
    # Debian's advisories name source packages, at the source version
    assert osv_package(by_name["libssl3"]) == ("Debian:12", "openssl", "3.0.11-1~deb12u2")
    assert osv_package(by_name["libgcrypt20"]) == ("Debian:12", "libgcrypt20", "1.10.1-3")
    assert osv_package(by_name["curl"]) == ("Debian:12", "curl", "7.88.1-10+deb12u5")
    assert osv_ecosystem(by_name["requests"]) == "PyPI"


def test_alpine_installed_database_and_world() -> None:
    components, problems = rootfs_components(DATA / "alpine")
    assert rows(components) == [
        (
            "pkg:apk/alpine/busybox@1.36.1-r29?arch=x86_64&distro=alpine-3.20.3&upstream=busybox",
            "1.36.1-r29",
            True,
            "lib/apk/db/installed",
            33,
        ),
        (
            "pkg:apk/alpine/libcrypto3@3.3.2-r0?arch=x86_64&distro=alpine-3.20.3&upstream=openssl",
            "3.3.2-r0",
            True,
            "lib/apk/db/installed",
            18,
        ),  # `libcrypto3>=3.3` in the world file
        (
            "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20.3&upstream=musl",
            "1.2.5-r0",
            False,
            "lib/apk/db/installed",
            1,
        ),
        (
            "pkg:apk/alpine/ssl_client@1.36.1-r29?arch=x86_64&distro=alpine-3.20.3&upstream=busybox",
            "1.36.1-r29",
            False,
            "lib/apk/db/installed",
            40,
        ),
    ]
    assert problems == ()
    assert osv_package(components[1]) == ("Alpine:v3.20", "openssl", "3.3.2-r0")


def test_rocky_rpm_sqlite_database_written_by_rpm() -> None:
    components, problems = rootfs_components(DATA / "rocky")
    assert rows(components) == [
        (
            "pkg:rpm/rocky/hello-fp@2.10-3.el9?arch=noarch&distro=rocky-9.3&epoch=1&upstream=hello-fp-2.10-3.el9.src.rpm",
            "1:2.10-3.el9",
            True,
            "var/lib/rpm/rpmdb.sqlite",
            0,
        ),
        (
            "pkg:rpm/rocky/libfoo@0.9.1-1.el9_2?arch=noarch&distro=rocky-9.3&upstream=libfoo-0.9.1-1.el9_2.src.rpm",
            "0.9.1-1.el9_2",
            True,
            "var/lib/rpm/rpmdb.sqlite",
            0,
        ),
    ]
    assert problems == ()
    assert osv_package(components[0]) == ("Rocky Linux:9", "hello-fp", "1:2.10-3.el9")


def test_absolute_symlinks_resolve_inside_the_root(tmp_path: Path) -> None:
    root = tmp_path / "image"
    shutil.copytree(DATA / "alpine", root, symlinks=True)
    real = root / "usr" / "lib" / "os-release"
    real.parent.mkdir(parents=True)
    (root / "etc" / "os-release").rename(real)
    (root / "etc" / "os-release").symlink_to("/usr/lib/os-release")  # absolute: inside the image
    # A database pointing out of the image through `..` stays inside it: there is nothing there.
    (root / "lib" / "apk" / "db" / "installed").unlink()
    (root / "lib" / "apk" / "db" / "installed").symlink_to("../../../../../../../../etc/passwd")

    components, problems = rootfs_components(root)

    assert components == ()
    assert problems == ()  # the distribution was found; the database does not exist inside the image


def test_unknown_and_missing_distribution(tmp_path: Path) -> None:
    (tmp_path / "fedora" / "etc").mkdir(parents=True)
    (tmp_path / "fedora" / "etc" / "os-release").write_text(
        'ID=fedora\nVERSION_ID=39\nPRETTY_NAME="Fedora 39"\n'
    )
    (tmp_path / "bare").mkdir()
    assert rootfs_components(tmp_path / "fedora") == (
        (),
        (
            Skipped(
                "etc/os-release",
                "Fedora 39 has no OSV ecosystem in firstpatch yet; its OS packages are not listed",
            ),
        ),
    )
    assert rootfs_components(tmp_path / "bare") == (
        (),
        (Skipped("etc/os-release", "missing: the distribution is unknown, so OS packages are not listed"),),
    )
    with pytest.raises(TargetError, match="not a root filesystem folder"):
        rootfs_components(tmp_path / "nowhere")


def test_id_like_maps_a_derivative_and_ubuntu_lts() -> None:
    from firstpatch.inventory.os_release import distribution, osv_name
    from firstpatch.model import Ecosystem

    found = distribution({"ID": "linuxmint", "ID_LIKE": "ubuntu debian", "VERSION_ID": "22.04"})
    assert found is not None
    assert (found.ecosystem, found.qualifier, found.osv) == (
        Ecosystem.UBUNTU,
        "ubuntu-22.04",
        "Ubuntu:22.04:LTS",
    )
    assert osv_name(Ecosystem.UBUNTU, "23.10") == "Ubuntu:23.10"
    assert osv_name(Ecosystem.ALMALINUX, "9.4") == "AlmaLinux:9"


def test_broken_dpkg_paragraph_and_damaged_rpm_rows(tmp_path: Path) -> None:
    root = tmp_path / "image"
    shutil.copytree(DATA / "rocky", root)
    (root / "var" / "lib" / "dpkg").mkdir(parents=True)
    (root / "var" / "lib" / "dpkg" / "status").write_text("Package: half\nStatus: install ok installed\n")
    database = root / "var" / "lib" / "rpm" / "rpmdb.sqlite"
    with sqlite3.connect(database) as connection:
        connection.execute("INSERT INTO Packages (hnum, blob) VALUES (99, ?)", (b"\x00\x00\x00\x02",))
        connection.execute("INSERT INTO Packages (hnum, blob) VALUES (100, ?)", (struct.pack(">ii", 5, 10),))
    connection.close()

    components, problems = rootfs_components(root)

    assert {c.name for c in components} == {"hello-fp", "libfoo"}
    assert set(problems) == {
        Skipped("var/lib/dpkg/status", "a package paragraph without Package and Version", 1),
        Skipped("var/lib/rpm/rpmdb.sqlite", "package header 99: shorter than a header's counts"),
        Skipped(
            "var/lib/rpm/rpmdb.sqlite",
            "package header 100: 5 entries and 10 bytes of data do not fit in 8 bytes",
        ),
    }


def test_rpm_header_bounds_are_checked() -> None:
    entry = struct.pack(">iIiI", 1000, 6, 500, 1)  # NAME at an offset past the data
    with pytest.raises(HeaderError, match="points outside the data"):
        read_header(struct.pack(">ii", 1, 4) + entry + b"abc\0")
    with pytest.raises(HeaderError, match="implausible counts"):
        read_header(struct.pack(">ii", 0x7FFFFFFF, 4))


def test_not_an_rpm_database(tmp_path: Path) -> None:
    root = tmp_path / "image"
    shutil.copytree(DATA / "rocky", root)
    (root / "var" / "lib" / "rpm" / "rpmdb.sqlite").write_bytes(b"not sqlite at all" * 100)
    components, problems = rootfs_components(root)
    assert components == ()
    assert [(p.path, p.reason.split(":")[0]) for p in problems] == [
        ("var/lib/rpm/rpmdb.sqlite", "not a readable rpm database")
    ]
