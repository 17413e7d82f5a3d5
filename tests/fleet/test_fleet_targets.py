"""Fleet lists: kinds decided from the text, paths relative to the list, bad entries named by line."""

from __future__ import annotations

from pathlib import Path

import pytest

import firstpatch.fleet
from firstpatch.fleet import FleetError, FleetTarget, TargetKind, read_targets
from firstpatch.model import Skipped


def test_public_api_is_pinned() -> None:
    assert set(firstpatch.fleet.__all__) == {
        "SEVERITIES",
        "CheckoutError",
        "Cluster",
        "FleetError",
        "FleetLedger",
        "FleetRecord",
        "FleetSettings",
        "FleetState",
        "FleetStatus",
        "FleetTarget",
        "Observer",
        "ProjectFindings",
        "TargetKind",
        "TargetList",
        "TaskRecord",
        "TaskState",
        "TransientCheckoutError",
        "default_workers",
        "fleet_status",
        "parse_line",
        "ray_cluster",
        "read_targets",
        "run_fleet",
    }


def test_a_text_list_names_each_kind(tmp_path: Path) -> None:
    listed = tmp_path / "lists" / "TARGETS.txt"
    listed.parent.mkdir()
    listed.write_text(
        "# the team's services\n"
        "services/api\n"
        "\n"
        "/srv/web   # absolute, with a comment\n"
        "https://git.example.org/team/app.git\n"
        "file:///srv/git/tools.git#release-2.1\n"
        "git@git.example.org:team/infra.git#v1.0\n"
        "../repos/local.git\n"
        "rootfs:/srv/images/base\n"
        "sbom:boms/payments.json\n"
        "boms/web.cdx.json\n"
        "~/checkouts/cli\n"
    )
    assert read_targets(listed).targets == (
        FleetTarget(TargetKind.PATH, f"{tmp_path}/lists/services/api"),
        FleetTarget(TargetKind.PATH, "/srv/web"),
        FleetTarget(TargetKind.GIT, "https://git.example.org/team/app.git"),
        FleetTarget(TargetKind.GIT, "file:///srv/git/tools.git", ref="release-2.1"),
        FleetTarget(TargetKind.GIT, "git@git.example.org:team/infra.git", ref="v1.0"),
        FleetTarget(TargetKind.GIT, f"{tmp_path}/repos/local.git"),
        FleetTarget(TargetKind.ROOTFS, "/srv/images/base"),
        FleetTarget(TargetKind.SBOM, f"{tmp_path}/lists/boms/payments.json"),
        FleetTarget(TargetKind.SBOM, f"{tmp_path}/lists/boms/web.cdx.json"),
        FleetTarget(TargetKind.PATH, f"{Path.home()}/checkouts/cli"),
    )


def test_a_git_target_is_named_with_its_ref() -> None:
    assert FleetTarget(TargetKind.GIT, "file:///srv/app.git", ref="main").name == "file:///srv/app.git#main"
    assert FleetTarget(TargetKind.GIT, "file:///srv/app.git").name == "file:///srv/app.git"


def test_a_yaml_list_carries_limits_per_target(tmp_path: Path) -> None:
    listed = tmp_path / "TARGETS.yaml"
    listed.write_text(
        "targets:\n"
        "  - services/api\n"
        "  - path: services/web\n"
        "    timeout: 30\n"
        "  - git: https://git.example.org/team/app.git\n"
        "    ref: release-2.1\n"
        "    memory_mb: 4096\n"
        "    timeout: 1.5\n"
        "  - rootfs: /srv/images/base\n"
        "  - sbom: boms/app.spdx.json\n"
    )
    listed_targets = read_targets(listed)
    assert listed_targets.problems == ()
    assert listed_targets.targets == (
        FleetTarget(TargetKind.PATH, f"{tmp_path}/services/api"),
        FleetTarget(TargetKind.PATH, f"{tmp_path}/services/web", timeout=30),
        FleetTarget(
            TargetKind.GIT,
            "https://git.example.org/team/app.git",
            ref="release-2.1",
            timeout=1.5,
            memory_mb=4096,
        ),
        FleetTarget(TargetKind.ROOTFS, "/srv/images/base"),
        FleetTarget(TargetKind.SBOM, f"{tmp_path}/boms/app.spdx.json"),
    )


def test_a_bare_yaml_list_is_read_too(tmp_path: Path) -> None:
    listed = tmp_path / "fleet.yml"
    listed.write_text("- /srv/a\n- git: file:///srv/b.git\n")
    assert [target.name for target in read_targets(listed).targets] == ["/srv/a", "file:///srv/b.git"]


def test_bad_yaml_entries_are_named_by_line_and_the_rest_is_kept(tmp_path: Path) -> None:
    listed = tmp_path / "TARGETS.yaml"
    listed.write_text(
        "targets:\n"
        "  - path: a\n"  # 2
        "  - path: b\n"  # 3
        "    ref: main\n"
        "  - git: --upload-pack=touch /tmp/pwned\n"  # 5
        "  - path: c\n"  # 6
        "    timeout: -1\n"
        "  - path: d\n"  # 8
        "    memory_mb: 1.5\n"
        "  - path: e\n"  # 10
        "    branch: main\n"
        "  - {path: f, git: g}\n"  # 12
        "  - 42\n"  # 13
        "  - a\n"  # 14
        "  - git: file:///srv/x.git\n"  # 15
        "    ref: '-x'\n"
        "  - path: z\n"  # 17
    )
    listed_targets = read_targets(listed)
    assert [target.name for target in listed_targets.targets] == [f"{tmp_path}/a", f"{tmp_path}/z"]
    source = str(listed)
    assert listed_targets.problems == (
        Skipped(source, "ref: only a git target has one, and it is a branch or tag name", 3),
        Skipped(source, "'--upload-pack=touch /tmp/pwned': not a git URL", 5),
        Skipped(source, "timeout: expected a number above 0, got -1", 6),
        Skipped(source, "memory_mb: expected a whole number above 0, got 1.5", 8),
        Skipped(
            source,
            "unknown key 'branch' (expected path, git, rootfs or sbom, and ref, timeout, memory_mb)",
            10,
        ),
        Skipped(source, "a target names exactly one of path, git, rootfs, sbom", 12),
        Skipped(source, "expected a target (a string or a mapping), got int", 13),
        Skipped(source, f"{tmp_path}/a: listed already on line 2", 14),
        Skipped(source, "'-x': not a branch or tag name", 15),
    )


def test_a_text_list_names_bad_lines(tmp_path: Path) -> None:
    listed = tmp_path / "TARGETS.txt"
    listed.write_text("a\nfile:///srv/x.git#\n-oProxyCommand=evil:x\nrootfs:\na\n")
    listed_targets = read_targets(listed)
    assert [target.name for target in listed_targets.targets] == [
        f"{tmp_path}/a",
        f"{tmp_path}/-oProxyCommand=evil:x",
    ]
    assert [(problem.line, problem.reason) for problem in listed_targets.problems] == [
        (2, "'': not a branch or tag name"),
        (4, "empty path"),
        (5, f"{tmp_path}/a: listed already on line 1"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("targets: [a\n", r"TARGETS\.yaml:2: not valid YAML"),
        ("targets: a\n", r"TARGETS\.yaml:1: expected a list of targets"),
        ("targets: []\nextra: 1\n", r"TARGETS\.yaml:1: expected a `targets:` list and nothing else"),
        ("just text\n", r"TARGETS\.yaml:1: expected a list of targets"),
    ],
)
def test_a_yaml_list_of_the_wrong_shape_is_one_error_with_its_line(
    tmp_path: Path, text: str, message: str
) -> None:
    listed = tmp_path / "TARGETS.yaml"
    listed.write_text(text)
    with pytest.raises(FleetError, match=message):
        read_targets(listed)


def test_an_unreadable_list_is_one_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(FleetError, match=r"missing\.txt: cannot read: No such file or directory"):
        read_targets(tmp_path / "missing.txt")
    (tmp_path / "binary.txt").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(FleetError, match=r"binary\.txt: not UTF-8 text"):
        read_targets(tmp_path / "binary.txt")
