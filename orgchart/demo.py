"""Deterministic demo data for Hanoi: the org chart before and after the 1/7/2025 reform.

`build_demo(size)` generates the rows of an org-chart import (units, positions, people, assignments,
sector links) with a fixed random seed; `seed_demo()` loads them through the shared bulk loader
(`orgchart.bulk.load_orgchart`), then sets the demo passwords and grants through the services.

Two sizes:
- `small`: a few hundred people, four departments, two districts with six communes merged into three
  on 1/7/2025, a handful of schools and one hospital. Fast enough for tests.
- `hanoi`: about 150,000 people: 15 departments, the 30 districts and 526 communes/wards until
  30/6/2025, the 126 communes/wards (51 phường, 75 xã) from 1/7/2025, ~1,900 schools (the district-run
  ones re-established under the new communes, so ~3,800 school units), 40 hospitals.

Rows are kept as compact tuples and turned into `Row` objects one sheet at a time, when the loader
reads them (see docs/DEMO.md for the measured time and memory).
"""

from __future__ import annotations

import random
import time
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.test.utils import override_settings

from orgchart import access, services
from orgchart.bulk import LoadReport, OrgChartData, Row, load_orgchart
from orgchart.models import (
    Assignment,
    OrgUnit,
    Person,
    Position,
    SectorLink,
    UnitSuccession,
    UnitUserObjectPermission,
)

SEED = 20250701
CITY_START = date(2008, 8, 1)  # Hà Tây merged into Hanoi
OLD_END = date(2025, 6, 30)  # last day of the district tier
NEW_START = date(2025, 7, 1)  # two-tier local government
TRANSFER_ON = date(2026, 7, 1)  # the mid-2026 transfer between departments
HR_GRANT_FROM = date(2018, 1, 1)
HR_GRANT_REASON = "Cán bộ Sở Nội vụ phụ trách công tác tổ chức cán bộ toàn Thành phố (dữ liệu demo)"
EMAIL_DOMAIN = "demo.hanoi.gov.vn"
SIZES = ("small", "hanoi")


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _words(text: str) -> tuple[str, ...]:
    return tuple(_nfc(text).split())


def ascii_slug(text: str) -> str:
    """'Hai Bà Trưng' -> 'HAIBATRUNG' (codes and e-mail addresses)."""
    text = text.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c)).upper()


# --- Demo accounts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str  # shown in the logins table
    unit_code: str = ""
    position_code: str = ""


DEMO_ACCOUNTS = (
    DemoAccount("admin", "Quản trị hệ thống (superuser)"),
    DemoAccount("demo.hr", "Cán bộ tổ chức Sở Nội vụ, quyền cán bộ tổ chức (HR) toàn Thành phố", "SNV-CCVC", "CV"),
    DemoAccount("demo.giamdoc", "Giám đốc Sở Tài chính", "STC", "GD-SO"),
    DemoAccount("demo.truongphong", "Trưởng phòng Tổng hợp, Sở Tài chính", "STC-TH", "TP"),
    DemoAccount("demo.nhanvien", "Chuyên viên Phòng Tổng hợp, Sở Tài chính", "STC-TH", "CV"),
    DemoAccount("demo.hieutruong", "Hiệu trưởng Trường THCS Demo", "THCS-DEMO", "HT"),
    DemoAccount("demo.giaovien", "Giáo viên Trường THCS Demo", "THCS-DEMO", "GV"),
    DemoAccount("demo.chutich", "Chủ tịch UBND phường Ba Đình (từ 01/7/2025)", "P-BADINH", "CT-UBND-XA"),
    DemoAccount("demo.ngoai", "Chuyên viên Sở Y tế (không thấy Sở Tài chính)", "SYT-NVY", "CV"),
    DemoAccount(
        "demo.ubndtp",
        "Chủ tịch UBND Thành phố: xếp loại thủ trưởng các sở, giải quyết kiến nghị về kết quả của họ",
        "HN",
        "CT-UBND-TP",
    ),
)

# username -> (full name, start of the current assignment)
_DEMO_PEOPLE = {
    "demo.hr": ("Trần Thị Thu Hà", date(2017, 3, 1)),
    "demo.giamdoc": ("Lê Minh Đức", date(2021, 4, 1)),
    "demo.truongphong": ("Phạm Thu Hương", date(2019, 9, 1)),
    "demo.nhanvien": ("Nguyễn Thị Lan Anh", date(2016, 8, 1)),
    "demo.hieutruong": ("Vũ Thị Thanh Mai", date(2020, 8, 1)),
    "demo.giaovien": ("Đỗ Ngọc Ánh", date(2018, 8, 1)),
    "demo.chutich": ("Hoàng Văn Sơn", date(2021, 7, 1)),  # chairman of an old ward, then P-BADINH
    "demo.ngoai": ("Bùi Quang Huy", date(2015, 10, 1)),
    "demo.ubndtp": ("Đinh Quốc Toàn", date(2024, 6, 1)),
}


# --- Reference tables ---------------------------------------------------------------------------

# code, title, kind, is_leader, quarterly_rated
POSITIONS = (
    ("CT-UBND-TP", "Chủ tịch UBND Thành phố", "HEAD", True, False),
    ("PCT-UBND-TP", "Phó Chủ tịch UBND Thành phố", "DEPUTY", True, False),
    ("GD-SO", "Giám đốc Sở", "HEAD", True, False),
    ("PGD-SO", "Phó Giám đốc Sở", "DEPUTY", True, False),
    ("CTTR-TP", "Chánh Thanh tra Thành phố", "HEAD", True, False),
    ("PCTTR-TP", "Phó Chánh Thanh tra Thành phố", "DEPUTY", True, False),
    ("CVP-UBND-TP", "Chánh Văn phòng UBND Thành phố", "HEAD", True, False),
    ("PCVP-UBND-TP", "Phó Chánh Văn phòng UBND Thành phố", "DEPUTY", True, False),
    ("TP", "Trưởng phòng", "HEAD", True, False),
    ("PP", "Phó Trưởng phòng", "DEPUTY", True, False),
    ("CV", "Chuyên viên", "STAFF", False, False),
    ("NV-HD", "Nhân viên hợp đồng", "STAFF", False, False),
    ("CT-UBND-HUYEN", "Chủ tịch UBND quận/huyện/thị xã", "HEAD", True, False),
    ("PCT-UBND-HUYEN", "Phó Chủ tịch UBND quận/huyện/thị xã", "DEPUTY", True, False),
    ("TP-CM-HUYEN", "Trưởng phòng chuyên môn cấp huyện", "HEAD", True, True),
    ("CT-UBND-XA", "Chủ tịch UBND xã/phường", "HEAD", True, True),
    ("PCT-UBND-XA", "Phó Chủ tịch UBND xã/phường", "DEPUTY", True, False),
    ("CC-XA", "Công chức cấp xã", "STAFF", False, False),
    ("TP-CM-XA", "Trưởng phòng chuyên môn cấp xã", "HEAD", True, True),
    ("HT", "Hiệu trưởng", "HEAD", True, False),
    ("PHT", "Phó Hiệu trưởng", "DEPUTY", True, False),
    ("GV", "Giáo viên", "STAFF", False, False),
    ("NV-TRUONG", "Nhân viên trường học", "STAFF", False, False),
    ("GD-BV", "Giám đốc bệnh viện", "HEAD", True, False),
    ("PGD-BV", "Phó Giám đốc bệnh viện", "DEPUTY", True, False),
    ("TK", "Trưởng khoa", "HEAD", True, False),
    ("PTK", "Phó Trưởng khoa", "DEPUTY", True, False),
    ("BS", "Bác sĩ", "STAFF", False, False),
    ("DD", "Điều dưỡng", "STAFF", False, False),
    ("KTV", "Kỹ thuật viên y", "STAFF", False, False),
)

# Departments: code, name, short name, (head, deputy) positions, divisions (suffix, name, task group).
# The first `small_divisions` divisions are used by the small size.
_VP = ("VP", "Văn phòng Sở", "Chuyên viên văn phòng")
DEPARTMENTS = (
    (
        "STC",
        "Sở Tài chính",
        "STC",
        ("GD-SO", "PGD-SO"),
        (
            ("TH", "Phòng Tổng hợp", "Chuyên viên tổng hợp"),
            ("NS", "Phòng Quản lý ngân sách", "Chuyên viên quản lý ngân sách"),
            ("DT", "Phòng Quản lý đầu tư", "Chuyên viên quản lý đầu tư"),
            ("GCS", "Phòng Quản lý giá và công sản", "Chuyên viên quản lý giá, công sản"),
            ("TCDN", "Phòng Tài chính doanh nghiệp", "Chuyên viên tài chính doanh nghiệp"),
            _VP,
            ("TTR", "Thanh tra Sở", "Thanh tra viên"),
        ),
    ),
    (
        "SNV",
        "Sở Nội vụ",
        "SNV",
        ("GD-SO", "PGD-SO"),
        (
            _VP,
            ("TCBC", "Phòng Tổ chức, biên chế", "Chuyên viên tổ chức, biên chế"),
            ("CCVC", "Phòng Công chức, viên chức", "Chuyên viên quản lý công chức, viên chức"),
            ("CQDP", "Phòng Xây dựng chính quyền", "Chuyên viên chính quyền địa phương"),
            ("LD", "Phòng Lao động – Việc làm", "Chuyên viên lao động, việc làm"),
            ("TDKT", "Ban Thi đua – Khen thưởng", "Chuyên viên thi đua, khen thưởng"),
        ),
    ),
    (
        "SGDDT",
        "Sở Giáo dục và Đào tạo",
        "SGDĐT",
        ("GD-SO", "PGD-SO"),
        (
            _VP,
            ("GDPT", "Phòng Giáo dục phổ thông", "Chuyên viên giáo dục phổ thông"),
            ("GDMN", "Phòng Giáo dục mầm non", "Chuyên viên giáo dục mầm non"),
            ("TCCB", "Phòng Tổ chức cán bộ", "Chuyên viên tổ chức cán bộ"),
            ("KTKD", "Phòng Khảo thí và Kiểm định chất lượng", "Chuyên viên khảo thí"),
            ("KHTC", "Phòng Kế hoạch – Tài chính", "Chuyên viên kế hoạch, tài chính"),
        ),
    ),
    (
        "SYT",
        "Sở Y tế",
        "SYT",
        ("GD-SO", "PGD-SO"),
        (
            _VP,
            ("NVY", "Phòng Nghiệp vụ Y", "Chuyên viên nghiệp vụ y"),
            ("NVD", "Phòng Nghiệp vụ Dược", "Chuyên viên nghiệp vụ dược"),
            ("TCCB", "Phòng Tổ chức cán bộ", "Chuyên viên tổ chức cán bộ"),
            ("KHTC", "Phòng Kế hoạch – Tài chính", "Chuyên viên kế hoạch, tài chính"),
            ("TTR", "Thanh tra Sở", "Thanh tra viên"),
        ),
    ),
    (
        "STP",
        "Sở Tư pháp",
        "STP",
        ("GD-SO", "PGD-SO"),
        (
            _VP,
            ("XDVB", "Phòng Xây dựng và kiểm tra văn bản", "Chuyên viên pháp chế"),
            ("PBGDPL", "Phòng Phổ biến, giáo dục pháp luật", "Chuyên viên phổ biến pháp luật"),
            ("HCTP", "Phòng Hành chính tư pháp", "Chuyên viên hành chính tư pháp"),
            ("BTTP", "Phòng Bổ trợ tư pháp", "Chuyên viên bổ trợ tư pháp"),
        ),
    ),
    (
        "SCT",
        "Sở Công Thương",
        "SCT",
        ("GD-SO", "PGD-SO"),
        (
            _VP,
            ("QLTM", "Phòng Quản lý thương mại", "Chuyên viên quản lý thương mại"),
            ("QLCN", "Phòng Quản lý công nghiệp", "Chuyên viên quản lý công nghiệp"),
            ("QLNL", "Phòng Quản lý năng lượng", "Chuyên viên quản lý năng lượng"),
            ("KHTC", "Phòng Kế hoạch – Tài chính", "Chuyên viên kế hoạch, tài chính"),
        ),
    ),
    (
        "SXD",
        "Sở Xây dựng",
        "SXD",
        ("GD-SO", "PGD-SO"),
        (
            _VP,
            ("QLXD", "Phòng Quản lý xây dựng", "Chuyên viên quản lý xây dựng"),
            ("HTKT", "Phòng Hạ tầng kỹ thuật", "Chuyên viên hạ tầng kỹ thuật"),
            ("QLN", "Phòng Quản lý nhà", "Chuyên viên quản lý nhà"),
            ("GT", "Phòng Quản lý giao thông", "Chuyên viên quản lý giao thông"),
            ("TTR", "Thanh tra Sở", "Thanh tra viên"),
        ),
    ),
    (
        "SNNMT",
        "Sở Nông nghiệp và Môi trường",
        "SNN&MT",
        ("GD-SO", "PGD-SO"),
        (
            _VP,
            ("TT", "Phòng Trồng trọt", "Chuyên viên trồng trọt"),
            ("CNTS", "Phòng Chăn nuôi và Thủy sản", "Chuyên viên chăn nuôi, thủy sản"),
            ("QLDD", "Phòng Quản lý đất đai", "Chuyên viên quản lý đất đai"),
            ("MT", "Phòng Môi trường", "Chuyên viên môi trường"),
            ("TNN", "Phòng Tài nguyên nước", "Chuyên viên tài nguyên nước"),
        ),
    ),
    (
        "SKHCN",
        "Sở Khoa học và Công nghệ",
        "SKH&CN",
        ("GD-SO", "PGD-SO"),
        (
            _VP,
            ("QLKH", "Phòng Quản lý khoa học", "Chuyên viên quản lý khoa học"),
            ("CDS", "Phòng Chuyển đổi số", "Chuyên viên chuyển đổi số"),
            ("BCVT", "Phòng Bưu chính, Viễn thông", "Chuyên viên bưu chính, viễn thông"),
        ),
    ),
    (
        "SVHTT",
        "Sở Văn hóa và Thể thao",
        "SVH&TT",
        ("GD-SO", "PGD-SO"),
        (
            _VP,
            ("QLVH", "Phòng Quản lý văn hóa", "Chuyên viên quản lý văn hóa"),
            ("DSVH", "Phòng Quản lý di sản văn hóa", "Chuyên viên di sản văn hóa"),
            ("TDTT", "Phòng Thể dục thể thao", "Chuyên viên thể dục thể thao"),
            ("XDNS", "Phòng Xây dựng nếp sống văn hóa và gia đình", "Chuyên viên văn hóa, gia đình"),
        ),
    ),
    (
        "SDL",
        "Sở Du lịch",
        "SDL",
        ("GD-SO", "PGD-SO"),
        (
            _VP,
            ("QLLH", "Phòng Quản lý lữ hành", "Chuyên viên quản lý lữ hành"),
            ("QLLT", "Phòng Quản lý cơ sở lưu trú", "Chuyên viên quản lý lưu trú"),
            ("XTDL", "Phòng Xúc tiến du lịch", "Chuyên viên xúc tiến du lịch"),
        ),
    ),
    (
        "SDTTG",
        "Sở Dân tộc và Tôn giáo",
        "SDT&TG",
        ("GD-SO", "PGD-SO"),
        (
            _VP,
            ("DT", "Phòng Dân tộc", "Chuyên viên công tác dân tộc"),
            ("TG", "Phòng Tôn giáo", "Chuyên viên công tác tôn giáo"),
            ("TH", "Phòng Tổng hợp", "Chuyên viên tổng hợp"),
        ),
    ),
    (
        "TTTP",
        "Thanh tra Thành phố",
        "TTTP",
        ("CTTR-TP", "PCTTR-TP"),
        (
            ("VP", "Văn phòng Thanh tra", "Chuyên viên văn phòng"),
            ("TTR1", "Phòng Thanh tra 1", "Thanh tra viên"),
            ("TTR2", "Phòng Thanh tra 2", "Thanh tra viên"),
            ("TCD", "Phòng Tiếp công dân và xử lý đơn thư", "Chuyên viên tiếp công dân"),
            ("PCTN", "Phòng Phòng, chống tham nhũng", "Thanh tra viên"),
        ),
    ),
    (
        "VPUBND",
        "Văn phòng UBND Thành phố",
        "VP UBND TP",
        ("CVP-UBND-TP", "PCVP-UBND-TP"),
        (
            ("TH", "Phòng Tổng hợp", "Chuyên viên tổng hợp"),
            ("KT", "Phòng Kinh tế", "Chuyên viên kinh tế"),
            ("NC", "Phòng Nội chính", "Chuyên viên nội chính"),
            ("KGVX", "Phòng Khoa giáo – Văn xã", "Chuyên viên khoa giáo, văn xã"),
            ("HCTC", "Phòng Hành chính – Tổ chức", "Chuyên viên hành chính, tổ chức"),
        ),
    ),
    (
        "SQHKT",
        "Sở Quy hoạch – Kiến trúc",
        "SQH-KT",
        ("GD-SO", "PGD-SO"),
        (
            _VP,
            ("QHDT", "Phòng Quy hoạch đô thị", "Chuyên viên quy hoạch"),
            ("QHNT", "Phòng Quy hoạch nông thôn", "Chuyên viên quy hoạch"),
            ("KT", "Phòng Kiến trúc", "Chuyên viên kiến trúc"),
        ),
    ),
)
_SMALL_DEPARTMENTS = {
    "STC": ("TH", "NS", "DT", "GCS"),
    "SNV": ("VP", "TCBC", "CCVC"),
    "SGDDT": ("VP", "GDPT"),
    "SYT": ("VP", "NVY"),
}

# District specialised offices: suffix, name, task group, supervising department (sector link).
DISTRICT_OFFICES = (
    ("VP", "Văn phòng HĐND và UBND", "Chuyên viên văn phòng", ""),
    ("TCKH", "Phòng Tài chính – Kế hoạch", "Chuyên viên tài chính – kế hoạch", "STC"),
    ("NV", "Phòng Nội vụ", "Chuyên viên nội vụ", "SNV"),
    ("GDDT", "Phòng Giáo dục và Đào tạo", "Chuyên viên giáo dục", "SGDDT"),
    ("YT", "Phòng Y tế", "Chuyên viên y tế", "SYT"),
    ("TP", "Phòng Tư pháp", "Chuyên viên tư pháp", "STP"),
    ("KT", "Phòng Kinh tế", "Chuyên viên kinh tế", "SCT"),
    ("QLDT", "Phòng Quản lý đô thị", "Chuyên viên quản lý đô thị", "SXD"),
    ("TNMT", "Phòng Tài nguyên và Môi trường", "Chuyên viên tài nguyên, môi trường", "SNNMT"),
    ("VHTT", "Phòng Văn hóa và Thông tin", "Chuyên viên văn hóa, thông tin", "SVHTT"),
    ("LDTBXH", "Phòng Lao động – Thương binh và Xã hội", "Chuyên viên lao động, xã hội", "SNV"),
    ("TTR", "Thanh tra", "Thanh tra viên", "TTTP"),
)
_SMALL_OFFICES = ("VP", "TCKH", "NV", "GDDT", "YT")

# Commune/ward specialised offices from 1/7/2025: suffix, name (xã, phường), task group, department.
COMMUNE_OFFICES = (
    ("VP", "Văn phòng HĐND và UBND", "Văn phòng HĐND và UBND", "Chuyên viên văn phòng", "SNV"),
    ("KT", "Phòng Kinh tế", "Phòng Kinh tế, Hạ tầng và Đô thị", "Chuyên viên kinh tế", "STC"),
    ("VHXH", "Phòng Văn hóa – Xã hội", "Phòng Văn hóa – Xã hội", "Chuyên viên văn hóa – xã hội", "SGDDT"),
)
# Which district offices hand their functions to which commune office (TRANSFER lineage).
_OFFICE_SUCCESSION = {
    "VP": ("VP", "NV", "TP", "TTR"),
    "KT": ("TCKH", "KT", "QLDT", "TNMT"),
    "VHXH": ("GDDT", "YT", "VHTT", "LDTBXH"),
}

# The 30 districts until 30/6/2025: kind word, name, communes (sums to 526), communes after the reform
# (51 phường from the urban districts, 75 xã from the rural ones).
DISTRICTS = (
    ("Quận", "Ba Đình", 12, 4),
    ("Quận", "Hoàn Kiếm", 16, 4),
    ("Quận", "Tây Hồ", 7, 3),
    ("Quận", "Long Biên", 13, 5),
    ("Quận", "Cầu Giấy", 7, 3),
    ("Quận", "Đống Đa", 19, 5),
    ("Quận", "Hai Bà Trưng", 16, 4),
    ("Quận", "Hoàng Mai", 13, 5),
    ("Quận", "Thanh Xuân", 10, 3),
    ("Quận", "Nam Từ Liêm", 9, 4),
    ("Quận", "Bắc Từ Liêm", 12, 4),
    ("Quận", "Hà Đông", 15, 5),
    ("Thị xã", "Sơn Tây", 13, 2),
    ("Huyện", "Ba Vì", 30, 7),
    ("Huyện", "Chương Mỹ", 31, 6),
    ("Huyện", "Đan Phượng", 14, 3),
    ("Huyện", "Đông Anh", 22, 5),
    ("Huyện", "Gia Lâm", 20, 4),
    ("Huyện", "Hoài Đức", 18, 4),
    ("Huyện", "Mê Linh", 16, 4),
    ("Huyện", "Mỹ Đức", 20, 4),
    ("Huyện", "Phú Xuyên", 25, 4),
    ("Huyện", "Phúc Thọ", 19, 4),
    ("Huyện", "Quốc Oai", 19, 4),
    ("Huyện", "Sóc Sơn", 23, 5),
    ("Huyện", "Thạch Thất", 21, 4),
    ("Huyện", "Thanh Oai", 19, 4),
    ("Huyện", "Thanh Trì", 14, 3),
    ("Huyện", "Thường Tín", 27, 5),
    ("Huyện", "Ứng Hòa", 26, 5),
)
_SMALL_DISTRICTS = (("Quận", "Ba Đình", 3, 2), ("Huyện", "Đông Anh", 3, 1))

HOSPITALS = (
    "Bệnh viện Đa khoa Xanh Pôn",
    "Bệnh viện Thanh Nhàn",
    "Bệnh viện Đa khoa Đức Giang",
    "Bệnh viện Đa khoa Hà Đông",
    "Bệnh viện Đa khoa Sơn Tây",
    "Bệnh viện Đống Đa",
    "Bệnh viện Phụ sản Hà Nội",
    "Bệnh viện Nhi Hà Nội",
    "Bệnh viện Tim Hà Nội",
    "Bệnh viện Ung bướu Hà Nội",
    "Bệnh viện Mắt Hà Nội",
    "Bệnh viện Thận Hà Nội",
    "Bệnh viện Y học cổ truyền Hà Nội",
    "Bệnh viện Tâm thần Hà Nội",
    "Bệnh viện Phổi Hà Nội",
    "Bệnh viện Da liễu Hà Nội",
    "Bệnh viện Bắc Thăng Long",
    "Bệnh viện Hòe Nhai",
    "Bệnh viện Mai Hương",
    "Bệnh viện Đa khoa Vân Đình",
    "Bệnh viện Đa khoa Mê Linh",
    "Bệnh viện Đa khoa Sóc Sơn",
    "Bệnh viện Đa khoa Ba Vì",
    "Bệnh viện Đa khoa Chương Mỹ",
    "Bệnh viện Đa khoa Đan Phượng",
    "Bệnh viện Đa khoa Đông Anh",
    "Bệnh viện Đa khoa Gia Lâm",
    "Bệnh viện Đa khoa Hoài Đức",
    "Bệnh viện Đa khoa Mỹ Đức",
    "Bệnh viện Đa khoa Phú Xuyên",
    "Bệnh viện Đa khoa Phúc Thọ",
    "Bệnh viện Đa khoa Quốc Oai",
    "Bệnh viện Đa khoa Thạch Thất",
    "Bệnh viện Đa khoa Thanh Oai",
    "Bệnh viện Đa khoa Thường Tín",
    "Bệnh viện Đa khoa Thanh Trì",
    "Bệnh viện Đa khoa Long Biên",
    "Bệnh viện Đa khoa Nam Thăng Long",
    "Bệnh viện Điều dưỡng và Phục hồi chức năng Hà Nội",
    "Bệnh viện Lão khoa Hà Nội",
)
HOSPITAL_WARDS = (
    "Khoa Khám bệnh",
    "Khoa Cấp cứu",
    "Khoa Nội tổng hợp",
    "Khoa Ngoại tổng hợp",
    "Khoa Nhi",
    "Khoa Sản",
    "Khoa Hồi sức tích cực",
    "Khoa Xét nghiệm",
    "Khoa Chẩn đoán hình ảnh",
    "Khoa Dược",
    "Khoa Tim mạch",
    "Khoa Thần kinh",
    "Khoa Tai Mũi Họng",
    "Khoa Răng Hàm Mặt",
    "Khoa Y học cổ truyền",
    "Phòng Kế hoạch tổng hợp",
    "Phòng Tổ chức cán bộ",
    "Phòng Điều dưỡng",
)

_FAMILY = (
    ("Nguyễn", 38), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Hoàng", 5), ("Vũ", 4), ("Phan", 3),
    ("Đặng", 2), ("Bùi", 2), ("Đỗ", 2), ("Hồ", 1), ("Ngô", 1), ("Dương", 1), ("Lý", 1), ("Đào", 1),
    ("Đinh", 1), ("Trịnh", 1), ("Mai", 1), ("Tạ", 1), ("Lưu", 1), ("Chu", 1), ("Cao", 1), ("Kiều", 1),
    ("Nghiêm", 1), ("Khúc", 1), ("Lại", 1), ("Đoàn", 1), ("Vương", 1), ("Phùng", 1), ("Tô", 1),
)  # fmt: skip
_MIDDLE_M = _words("Văn Văn Văn Đức Minh Quang Hữu Công Thanh Xuân Ngọc Mạnh Tiến Hoàng Anh Trung Duy Việt Bá Đình")
_MIDDLE_F = _words("Thị Thị Thị Thị Thu Thanh Ngọc Minh Phương Thúy Hồng Kim Lan Bích Diệu Khánh Thùy Mai Hải Quỳnh")
_GIVEN_M = _words(
    "Anh Bình Cường Dũng Đức Hải Hùng Huy Khánh Long Minh Nam Phong Quân Sơn Thắng Thành Trung Tuấn "
    "Việt Hiếu Hoàng Kiên Lâm Nghĩa Quang Tài Thịnh Toàn Vinh Tùng Đạt Hưng Phúc Tâm Thái"
)
_GIVEN_F = _words(
    "Anh Chi Dung Giang Hà Hạnh Hằng Hiền Hoa Hồng Hương Huyền Lan Linh Loan Mai Nga Ngọc Nhung Oanh "
    "Phương Quỳnh Thảo Thủy Trang Tú Vân Yến Thu Hoài Ly My Nhàn Tâm Thơ Uyên"
)
# Syllables of generated commune names ("Tân Lập", "Phú Thịnh"...).
_PLACE_A = _words(
    "Tân Đại Phú Vĩnh Hòa An Đông Tây Nam Bắc Thượng Hạ Trung Kim Ngọc Phúc Thanh Liên Hồng Minh "
    "Quang Xuân Thuận Tiên Văn Hương Cổ Yên Sơn Đồng Long Cao Mỹ Thụy Vân"
)
_PLACE_B = _words(
    "Lập Thịnh Hòa Phong Xá An Mỹ Lộc Phú Tiến Hưng Lợi Thành Bình Đức Nghĩa Hiệp Khê Trung Quán Hà "
    "Mai Lâm Lĩnh Dương Châu Xuyên Vọng Đình Sơn Tảo Cát Viên Hội Nhuận"
)

_FAMILY_NAMES = tuple(_nfc(n) for n, _w in _FAMILY)
_FAMILY_WEIGHTS = tuple(w for _n, w in _FAMILY)


# --- Sizes ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SizeSpec:
    name: str
    departments: tuple  # DEPARTMENTS entries, divisions filtered
    districts: tuple
    district_offices: tuple
    city_deputies: int
    dept_deputies: tuple[int, int]
    division_staff: tuple[int, int]
    division_deputies: tuple[int, int]
    district_deputies: int
    office_staff: tuple[int, int]
    commune_deputies: tuple[int, int]
    commune_staff: tuple[int, int]
    new_commune_deputies: tuple[int, int]
    schools_per_commune: tuple[int, int]  # communal schools (MN, TH, THCS...) per old commune
    school_staff: dict = field(default_factory=dict)  # kind -> (min, max)
    high_schools: int = 1
    hospitals: int = 1
    hospital_wards: tuple[int, int] = (2, 2)
    ward_staff: tuple[int, int] = (5, 7)
    vacancy_rate: float = 0.0  # share of divisions without a head
    retire_rate: float = 0.07  # share of pre-reform staff who leave on 30/6/2025


def _spec(size: str) -> SizeSpec:
    if size == "small":
        departments = tuple(
            (code, name, short, posts, tuple(d for d in divisions if d[0] in _SMALL_DEPARTMENTS[code]))
            for code, name, short, posts, divisions in DEPARTMENTS
            if code in _SMALL_DEPARTMENTS
        )
        return SizeSpec(
            name=size,
            departments=departments,
            districts=_SMALL_DISTRICTS,
            district_offices=tuple(o for o in DISTRICT_OFFICES if o[0] in _SMALL_OFFICES),
            city_deputies=2,
            dept_deputies=(1, 2),
            division_staff=(3, 5),
            division_deputies=(0, 1),
            district_deputies=1,
            office_staff=(2, 3),
            commune_deputies=(1, 1),
            commune_staff=(3, 4),
            new_commune_deputies=(2, 2),
            schools_per_commune=(1, 1),
            school_staff={"MN": (5, 7), "TH": (6, 8), "THCS": (6, 8), "THPT": (8, 10)},
            high_schools=1,
            hospitals=1,
            hospital_wards=(2, 2),
            ward_staff=(5, 7),
        )
    if size == "hanoi":
        return SizeSpec(
            name=size,
            departments=DEPARTMENTS,
            districts=DISTRICTS,
            district_offices=DISTRICT_OFFICES,
            city_deputies=5,
            dept_deputies=(3, 4),
            division_staff=(6, 14),
            division_deputies=(1, 2),
            district_deputies=3,
            office_staff=(6, 12),
            commune_deputies=(1, 2),
            commune_staff=(12, 20),
            new_commune_deputies=(2, 3),
            schools_per_commune=(3, 4),
            school_staff={"MN": (30, 52), "TH": (50, 84), "THCS": (48, 78), "THPT": (80, 120)},
            high_schools=120,
            hospitals=len(HOSPITALS),
            hospital_wards=(10, 18),
            ward_staff=(28, 48),
            vacancy_rate=0.03,
        )
    raise ValueError(f"unknown demo size {size!r}; choose one of {', '.join(SIZES)}")


# --- Rows ---------------------------------------------------------------------------------------

UNIT_COLUMNS = (
    "code",
    "name",
    "short_name",
    "kind",
    "parent_code",
    "valid_from",
    "valid_to",
    "predecessor_codes",
    "succession_kind",
)
POSITION_COLUMNS = ("code", "title", "kind", "is_leader", "quarterly_rated")
PERSON_COLUMNS = ("employee_code", "full_name", "subject_group", "similar_task_group", "email", "username")
ASSIGNMENT_COLUMNS = ("employee_code", "unit_code", "position_code", "valid_from", "valid_to", "is_primary", "note")
SECTOR_LINK_COLUMNS = ("department_code", "office_code", "valid_from", "valid_to")


class RowList(Sequence):
    """A read-only list of `Row`s over compact tuples: each `Row` is made when it is read."""

    def __init__(self, sheet: str, columns: tuple[str, ...], tuples: list):
        self.sheet, self.columns, self._tuples = sheet, columns, tuples

    def __len__(self) -> int:
        return len(self._tuples)

    def _make(self, index: int, values) -> Row:
        return Row(sheet=self.sheet, number=index + 2, values=dict(zip(self.columns, values)))

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._make(i, self._tuples[i]) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        return self._make(index, self._tuples[index])

    def __iter__(self) -> Iterator:
        for i, values in enumerate(self._tuples):
            yield self._make(i, values)


@dataclass
class DemoData:
    """The generated rows as tuples in the column order above."""

    size: str
    units: list = field(default_factory=list)
    positions: list = field(default_factory=list)
    people: list = field(default_factory=list)  # lists, mutated while the reform reassigns people
    assignments: list = field(default_factory=list)
    sector_links: list = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "units": len(self.units),
            "positions": len(self.positions),
            "people": len(self.people),
            "assignments": len(self.assignments),
            "sector_links": len(self.sector_links),
        }

    def orgchart_data(self) -> OrgChartData:
        """The rows as the bulk loader's `OrgChartData`."""
        return OrgChartData(
            units=RowList("units", UNIT_COLUMNS, self.units),
            positions=RowList("positions", POSITION_COLUMNS, self.positions),
            people=RowList("people", PERSON_COLUMNS, self.people),
            assignments=RowList("assignments", ASSIGNMENT_COLUMNS, self.assignments),
            sector_links=RowList("sector_links", SECTOR_LINK_COLUMNS, self.sector_links),
        )


# Slots of a person's list (PERSON_COLUMNS order)
_CODE, _GROUP, _TASK = 0, 2, 3
CAN_BO, CONG_CHUC, VIEN_CHUC, HOP_DONG = "CAN_BO", "CONG_CHUC", "VIEN_CHUC", "LAO_DONG_HOP_DONG"
TASK_SUPPORT = "Nhân viên hỗ trợ, phục vụ"
TASK_COMMUNE_LEADER = "Lãnh đạo UBND cấp xã"


@dataclass
class _Staffed:
    """People of one pre-reform unit, by role, for the reform reassignment."""

    heads: list = field(default_factory=list)
    deputies: list = field(default_factory=list)
    staff: list = field(default_factory=list)
    contract: list = field(default_factory=list)


class _Builder:
    def __init__(self, spec: SizeSpec, seed: int):
        self.spec = spec
        self.rng = random.Random(seed)
        self.data = DemoData(size=spec.name)
        self._next_employee = 0
        self._unit_codes: set[str] = set()
        self._demo_people: dict[str, list] = {}

    # -- primitives --------------------------------------------------------------------------

    def unit(self, code, name, kind, parent, valid_from, valid_to=None, short_name="", predecessors=(), succession=""):
        if code in self._unit_codes:
            raise ValueError(f"duplicate demo unit code {code}")
        self._unit_codes.add(code)
        self.data.units.append(
            (code, _nfc(name), _nfc(short_name), kind, parent or "", valid_from, valid_to,
             ";".join(predecessors), succession if predecessors else "")
        )  # fmt: skip
        return code

    def name(self, female: bool) -> str:
        rng = self.rng
        family = rng.choices(_FAMILY_NAMES, _FAMILY_WEIGHTS)[0]
        if female:
            middle, given = rng.choice(_MIDDLE_F), rng.choice(_GIVEN_F)
            if rng.random() < 0.25:  # four-part names are common for women
                middle = f"{middle} {rng.choice(_GIVEN_F)}"
        else:
            middle, given = rng.choice(_MIDDLE_M), rng.choice(_GIVEN_M)
        return _nfc(f"{family} {middle} {given}")

    def person(self, group: str, task: str, *, female: float = 0.5, username: str = "") -> list:
        self._next_employee += 1
        code = f"HN{self._next_employee:06d}"
        full_name = _nfc(_DEMO_PEOPLE[username][0]) if username else self.name(self.rng.random() < female)
        words = full_name.split()
        initials = "".join(ascii_slug(w)[:1] for w in words[:-1])
        email = f"{ascii_slug(words[-1])}.{initials}{self._next_employee}@{EMAIL_DOMAIN}".lower()
        person = [code, full_name, group, _nfc(task), email, username]
        self.data.people.append(person)
        if username:
            self._demo_people[username] = person
        return person

    def assign(self, person, unit_code, position, start, end=None, primary=True, note=""):
        self.data.assignments.append((person[_CODE], unit_code, position, start, end, primary, _nfc(note)))

    def month(self, start: date, end: date) -> date:
        """A random first of the month in [start, end]."""
        first = start.year * 12 + start.month - 1 + (start.day > 1)
        last = end.year * 12 + end.month - 1
        n = self.rng.randint(first, max(first, last))
        return date(n // 12, n % 12 + 1, 1)

    def between(self, bounds: tuple[int, int]) -> int:
        return self.rng.randint(*bounds)

    def contract_or(self, group: str, share: float) -> str:
        return HOP_DONG if self.rng.random() < share else group

    def demo_start(self, username: str) -> date:
        return _DEMO_PEOPLE[username][1]

    # -- the tree ----------------------------------------------------------------------------

    def build(self) -> DemoData:
        self.data.positions = [tuple(_nfc(v) if isinstance(v, str) else v for v in p) for p in POSITIONS]
        self.city()
        self.departments()
        for index, district in enumerate(self.spec.districts):
            self.district(index, *district)
        self.service_units()
        self.transfer_mid_2026()
        return self.data

    def city(self) -> None:
        self.unit("HN", "Thành phố Hà Nội", "CITY", None, CITY_START, short_name="Hà Nội")
        chairman = self.person(CAN_BO, "Lãnh đạo UBND Thành phố", female=0.2, username="demo.ubndtp")
        self.assign(chairman, "HN", "CT-UBND-TP", date(2024, 6, 1))
        for _ in range(self.spec.city_deputies):
            deputy = self.person(CAN_BO, "Lãnh đạo UBND Thành phố", female=0.3)
            self.assign(deputy, "HN", "PCT-UBND-TP", self.month(date(2020, 1, 1), date(2024, 12, 1)))

    def departments(self) -> None:
        demo_slots = {
            ("STC", "HEAD"): "demo.giamdoc",
            ("STC-TH", "HEAD"): "demo.truongphong",
            ("STC-TH", "STAFF"): "demo.nhanvien",
            ("SNV-CCVC", "STAFF"): "demo.hr",
            ("SYT-NVY", "STAFF"): "demo.ngoai",
        }
        demo_units = {unit for unit, _kind in demo_slots}
        for code, name, short, (head_pos, deputy_pos), divisions in self.spec.departments:
            self.unit(code, name, "DEPARTMENT", "HN", CITY_START, short_name=short)
            start = self.demo_start(demo_slots[(code, "HEAD")]) if (code, "HEAD") in demo_slots else None
            director = self.person(CONG_CHUC, "Lãnh đạo Sở", female=0.3, username=demo_slots.get((code, "HEAD"), ""))
            self.assign(director, code, head_pos, start or self.month(date(2016, 1, 1), date(2024, 10, 1)))
            deputies = []
            for _ in range(self.between(self.spec.dept_deputies)):
                deputy = self.person(CONG_CHUC, "Lãnh đạo Sở", female=0.35)
                self.assign(deputy, code, deputy_pos, self.month(date(2014, 1, 1), date(2024, 12, 1)))
                deputies.append(deputy)
            for suffix, division_name, task in divisions:
                division = self.unit(f"{code}-{suffix}", division_name, "DIVISION", code, CITY_START)
                concurrent = code == "SNV" and suffix == "VP"
                if concurrent:  # kiêm nhiệm: a deputy director also heads the department's office
                    note = "Kiêm nhiệm Chánh Văn phòng Sở"
                    self.assign(deputies[0], division, "TP", date(2022, 1, 1), primary=False, note=note)
                vacant = division not in demo_units and self.rng.random() < self.spec.vacancy_rate
                self.staff_division(
                    division,
                    task,
                    head=not (concurrent or vacant),
                    head_user=demo_slots.get((division, "HEAD")),
                    staff_user=demo_slots.get((division, "STAFF")),
                    drivers=suffix == "VP",
                )

    def staff_division(self, unit, task, *, head=True, head_user=None, staff_user=None, drivers=False):
        if head:
            start = self.demo_start(head_user) if head_user else self.month(CITY_START, date(2024, 6, 1))
            leader = self.person(CONG_CHUC, "Lãnh đạo phòng thuộc Sở", female=0.45, username=head_user or "")
            self.assign(leader, unit, "TP", start)
        for _ in range(self.between(self.spec.division_deputies)):
            deputy = self.person(CONG_CHUC, "Lãnh đạo phòng thuộc Sở", female=0.5)
            self.assign(deputy, unit, "PP", self.month(CITY_START, date(2025, 6, 1)))
        staff = self.between(self.spec.division_staff)
        for i in range(staff):
            username = staff_user if i == 0 else ""
            start = self.demo_start(username) if username else self.month(CITY_START, date(2026, 3, 1))
            person = self.person(CONG_CHUC, task, female=0.55, username=username)
            self.assign(person, unit, "CV", start)
        for _ in range(self.between((1, 3)) if drivers else 0):
            driver = self.person(HOP_DONG, TASK_SUPPORT, female=0.1)
            self.assign(driver, unit, "NV-HD", self.month(CITY_START, date(2026, 3, 1)))

    # -- districts, communes and the 1/7/2025 reform ------------------------------------------

    def district(self, index: int, kind_word: str, name: str, n_communes: int, n_new: int) -> None:
        spec, rng = self.spec, self.rng
        prefix = {"Quận": "Q", "Thị xã": "TX", "Huyện": "H"}[kind_word]
        code = self.unit(
            f"{prefix}-{ascii_slug(name)}",
            f"{kind_word} {name}",
            "DISTRICT",
            "HN",
            CITY_START,
            OLD_END,
            short_name=name,
        )
        urban = kind_word != "Huyện"
        first = index == 0

        # District leadership (cán bộ).
        leaders = []
        chairman = self.person(CAN_BO, "Lãnh đạo UBND cấp huyện", female=0.2)
        self.assign(chairman, code, "CT-UBND-HUYEN", self.month(date(2019, 1, 1), date(2023, 6, 1)), OLD_END)
        leaders.append(chairman)
        for _ in range(spec.district_deputies):
            deputy = self.person(CAN_BO, "Lãnh đạo UBND cấp huyện", female=0.3)
            self.assign(deputy, code, "PCT-UBND-HUYEN", self.month(date(2015, 1, 1), date(2024, 6, 1)), OLD_END)
            leaders.append(deputy)

        # Specialised offices.
        offices = _Staffed()
        office_codes = []
        for suffix, office_name, task, department in spec.district_offices:
            office = self.unit(f"{code}-{suffix}", office_name, "OFFICE", code, CITY_START, OLD_END)
            office_codes.append((suffix, office))
            if department and department in self._department_codes:
                self.link(department, office, CITY_START, OLD_END)
            head = self.person(CONG_CHUC, "Lãnh đạo phòng chuyên môn cấp huyện", female=0.4)
            self.assign(head, office, "TP-CM-HUYEN", self.month(date(2012, 1, 1), date(2024, 6, 1)), OLD_END)
            offices.heads.append(head)
            for _ in range(self.between((1, 2))):
                deputy = self.person(CONG_CHUC, "Lãnh đạo phòng chuyên môn cấp huyện", female=0.5)
                self.assign(deputy, office, "PP", self.month(CITY_START, date(2024, 12, 1)), OLD_END)
                offices.deputies.append(deputy)
            for _ in range(self.between(spec.office_staff)):
                group = self.contract_or(CONG_CHUC, 0.06)
                person = self.person(group, TASK_SUPPORT if group == HOP_DONG else task, female=0.55)
                position = "NV-HD" if group == HOP_DONG else "CV"
                self.assign(person, office, position, self.month(CITY_START, date(2025, 3, 1)), OLD_END)
                (offices.contract if group == HOP_DONG else offices.staff).append(person)

        # Communes and wards until 30/6/2025.
        names = self.place_names(n_communes)
        communes = []  # (code, bare name, _Staffed)
        for i, bare in enumerate(names, start=1):
            if urban and (kind_word == "Quận" or i <= n_communes * 0.6):
                word, letter = "Phường", "P"
            elif i == 1:
                word, letter, bare = "Thị trấn", "TT", name
            else:
                word, letter = "Xã", "X"
            commune = self.unit(f"{code}-{letter}{i:02d}", f"{word} {bare}", "COMMUNE", code, CITY_START, OLD_END)
            people = _Staffed()
            chair_user = "demo.chutich" if first and i == 1 else ""
            start = self.demo_start(chair_user) if chair_user else self.month(date(2016, 7, 1), date(2024, 6, 1))
            head = self.person(CAN_BO, TASK_COMMUNE_LEADER, female=0.2, username=chair_user)
            self.assign(head, commune, "CT-UBND-XA", start, OLD_END)
            people.heads.append(head)
            for _ in range(self.between(spec.commune_deputies)):
                deputy = self.person(CAN_BO, TASK_COMMUNE_LEADER, female=0.3)
                self.assign(deputy, commune, "PCT-UBND-XA", self.month(date(2016, 7, 1), date(2024, 12, 1)), OLD_END)
                people.deputies.append(deputy)
            for _ in range(self.between(spec.commune_staff)):
                group = self.contract_or(CONG_CHUC, 0.08)
                person = self.person(group, TASK_SUPPORT if group == HOP_DONG else "Công chức cấp xã", female=0.55)
                position = "NV-HD" if group == HOP_DONG else "CC-XA"
                self.assign(person, commune, position, self.month(CITY_START, date(2025, 3, 1)), OLD_END)
                (people.contract if group == HOP_DONG else people.staff).append(person)
            communes.append((commune, bare, people))

        # Schools run by the district until 30/6/2025, re-established under the new communes.
        schools = []  # (old code, school kind, name, old commune index, staff [(person, position, start)])
        kinds = ("MN", "TH", "THCS")
        for ci, (commune, bare, _people) in enumerate(communes):
            count = self.between(spec.schools_per_commune)
            for k in range(count):
                kind = kinds[(ci + k) % 3] if count < 3 else ("MN", "TH", "THCS", "MN", "TH")[k]
                same = sum(1 for s in schools if s[3] == ci and s[1] == kind)
                label = {"MN": "Trường Mầm non", "TH": "Trường Tiểu học", "THCS": "Trường THCS"}[kind]
                school_name = f"{label} {bare}" + (" B" if same else "")
                school = self.unit(
                    f"{commune}-{kind}{'B' if same else ''}", school_name, "SERVICE_UNIT", code, CITY_START, OLD_END
                )
                staff = self.staff_school(school, kind, end=OLD_END)
                schools.append((school, kind, school_name, ci, staff))

        # 1/7/2025: the communes merge into `n_new` communes directly under the city.
        groups = _split(list(range(len(communes))), n_new)
        new_communes = []
        for j, members in enumerate(groups):
            bare = name if j == 0 else communes[members[0]][1]
            word = "Phường" if urban else "Xã"
            new_code = self.new_commune_code("P" if urban else "X", bare)
            predecessors = [communes[m][0] for m in members] + [code]
            self.unit(
                new_code,
                f"{word} {bare}",
                "COMMUNE",
                "HN",
                NEW_START,
                predecessors=predecessors,
                succession="MERGE",
                short_name=bare,
            )
            new_offices = []
            for suffix, xa_name, phuong_name, task, department in COMMUNE_OFFICES:
                predecessors = [o for s, o in office_codes if s in _OFFICE_SUCCESSION[suffix]]
                office = self.unit(
                    f"{new_code}-{suffix}",
                    phuong_name if urban else xa_name,
                    "OFFICE",
                    new_code,
                    NEW_START,
                    predecessors=predecessors,
                    succession="TRANSFER",
                )
                if department in self._department_codes:
                    self.link(department, office, NEW_START, None)
                new_offices.append((office, task))
            new_communes.append((new_code, new_offices, members))

        self.reassign(leaders, offices, communes, new_communes)

        school_counter: dict[tuple[str, str], int] = {}
        commune_of = {m: new_code for new_code, _o, members in new_communes for m in members}
        for old_code, kind, school_name, ci, staff in schools:
            new_commune = commune_of[ci]
            n = school_counter[(new_commune, kind)] = school_counter.get((new_commune, kind), 0) + 1
            new_code = self.unit(
                f"{new_commune}-{kind}{n:02d}",
                school_name,
                "SERVICE_UNIT",
                new_commune,
                NEW_START,
                predecessors=[old_code],
                succession="RENAME",
            )
            for person, position, _start in staff:
                if position in ("HT", "PHT") or rng.random() >= 0.02:  # a few teachers and staff retire
                    self.assign(person, new_code, position, NEW_START)

    @property
    def _department_codes(self) -> set[str]:
        return {d[0] for d in self.spec.departments}

    def link(self, department, office, valid_from, valid_to):
        self.data.sector_links.append((department, office, valid_from, valid_to))

    def place_names(self, n: int) -> list[str]:
        pool = [f"{a} {b}" for a in _PLACE_A for b in _PLACE_B if a != b]
        return self.rng.sample(pool, n)

    def new_commune_code(self, letter: str, bare: str) -> str:
        base = f"{letter}-{ascii_slug(bare)}"
        code, n = base, 1
        while code in self._unit_codes:
            n += 1
            code = f"{base}{n}"
        return code

    def reassign(self, leaders, offices: _Staffed, communes, new_communes) -> None:
        """Give the people of a closed district a primary assignment in its successor communes."""
        spec, rng = self.spec, self.rng
        old_chairs = [p.heads[0] for _c, _b, p in communes]
        old_deputies = [d for _c, _b, p in communes for d in p.deputies]
        demo = self._demo_people.get("demo.chutich")
        chair_queue = ([demo] if demo in old_chairs else []) + leaders + [c for c in old_chairs if c is not demo]
        chair_queue += old_deputies
        # Chairmen, then their deputies (cán bộ).
        taken = 0
        for new_code, _offices, _members in new_communes:
            chairman = chair_queue[taken] if taken < len(chair_queue) else self.person(CAN_BO, TASK_COMMUNE_LEADER)
            taken += 1
            self.new_post(chairman, new_code, "CT-UBND-XA", CAN_BO, TASK_COMMUNE_LEADER)
        for new_code, _offices, _members in new_communes:
            for _ in range(self.between(spec.new_commune_deputies)):
                deputy = chair_queue[taken] if taken < len(chair_queue) else self.person(CAN_BO, TASK_COMMUNE_LEADER)
                taken += 1
                self.new_post(deputy, new_code, "PCT-UBND-XA", CAN_BO, TASK_COMMUNE_LEADER)
        # Heads and deputies of the new offices: district office heads first, then other leaders.
        office_queue = offices.heads + offices.deputies + chair_queue[taken:]
        slots = [office for _n, new_offices, _m in new_communes for office in new_offices]
        taken = 0
        for office, _task in slots:
            head = office_queue[taken] if taken < len(office_queue) else self.person(CONG_CHUC, "")
            taken += 1
            self.new_post(head, office, "TP-CM-XA", CONG_CHUC, "Lãnh đạo phòng chuyên môn cấp xã")
        for office, _task in slots:
            for _ in range(self.between((1, 2))):
                if taken >= len(office_queue):
                    break
                self.new_post(office_queue[taken], office, "PP", CONG_CHUC, "Lãnh đạo phòng chuyên môn cấp xã")
                taken += 1
        # Everyone else becomes staff of an office; a few retire.
        staff = office_queue[taken:] + offices.staff + [s for _c, _b, p in communes for s in p.staff]
        rng.shuffle(staff)
        i = 0
        for person in staff:
            if rng.random() < spec.retire_rate:
                continue
            office, task = slots[i % len(slots)]
            i += 1
            self.new_post(person, office, "CV", CONG_CHUC, task)
        contract = offices.contract + [s for _c, _b, p in communes for s in p.contract]
        vp_offices = [o for new_code, new_offices, _m in new_communes for o, _t in new_offices[:1]]
        for k, person in enumerate(contract):
            if rng.random() >= spec.retire_rate:
                self.assign(person, vp_offices[k % len(vp_offices)], "NV-HD", NEW_START)

    def new_post(self, person, unit, position, group, task) -> None:
        self.assign(person, unit, position, NEW_START, note="Sắp xếp theo mô hình chính quyền hai cấp")
        person[_GROUP] = group
        person[_TASK] = _nfc(task)

    # -- schools and hospitals -----------------------------------------------------------------

    def staff_school(self, school, kind, *, end=None, head_user=None, teacher_user=None) -> list:
        """Principal, deputies, teachers, staff and contract workers; returns [(person, position, start)]."""
        spec = self.spec
        total = self.between(spec.school_staff[kind])
        teacher_task = {
            "MN": "Giáo viên mầm non",
            "TH": "Giáo viên tiểu học",
            "THCS": "Giáo viên THCS",
            "THPT": "Giáo viên THPT",
        }[kind]
        female = 0.97 if kind == "MN" else 0.78 if kind == "TH" else 0.68
        latest = date(2025, 3, 1) if end else date(2026, 3, 1)
        staff = []

        def add(position, group, task, fem, username=""):
            start = self.demo_start(username) if username else self.month(CITY_START, latest)
            person = self.person(group, task, female=fem, username=username)
            self.assign(person, school, position, start, end)
            staff.append((person, position, start))

        add("HT", VIEN_CHUC, "Cán bộ quản lý trường học", female - 0.2, head_user or "")
        for _ in range(1 if total < 40 else 2 if total < 80 else 3):
            add("PHT", VIEN_CHUC, "Cán bộ quản lý trường học", female - 0.1)
        contract = max(1, round(total * 0.13))
        support = max(1, total // 25)
        for i in range(max(1, total - contract - support - len(staff))):
            add("GV", VIEN_CHUC, teacher_task, female, teacher_user if i == 0 and teacher_user else "")
        for _ in range(support):
            add("NV-TRUONG", VIEN_CHUC, "Nhân viên trường học", 0.8)
        for _ in range(contract):
            add("NV-HD", HOP_DONG, TASK_SUPPORT, 0.6)
        return staff

    def service_units(self) -> None:
        spec = self.spec
        # THCS-DEMO and the high schools belong to the Department of Education.
        self.unit("THCS-DEMO", "Trường THCS Demo", "SERVICE_UNIT", "SGDDT", CITY_START, short_name="THCS Demo")
        self.staff_school("THCS-DEMO", "THCS", head_user="demo.hieutruong", teacher_user="demo.giaovien")
        names = self.place_names(spec.high_schools)
        for i, bare in enumerate(names, start=1):
            code = self.unit(f"SGDDT-THPT{i:03d}", f"Trường THPT {bare}", "SERVICE_UNIT", "SGDDT", CITY_START)
            self.staff_school(code, "THPT")
        # Hospitals belong to the Department of Health; their wards (khoa) are divisions.
        for i, hospital_name in enumerate(HOSPITALS[: spec.hospitals], start=1):
            code = self.unit(f"SYT-BV{i:02d}", hospital_name, "SERVICE_UNIT", "SYT", CITY_START)
            director = self.person(VIEN_CHUC, "Lãnh đạo bệnh viện", female=0.3)
            self.assign(director, code, "GD-BV", self.month(date(2015, 1, 1), date(2024, 1, 1)))
            for _ in range(self.between((1, 3))):
                deputy = self.person(VIEN_CHUC, "Lãnh đạo bệnh viện", female=0.4)
                self.assign(deputy, code, "PGD-BV", self.month(date(2012, 1, 1), date(2025, 1, 1)))
            wards = self.rng.sample(HOSPITAL_WARDS, self.between(spec.hospital_wards))
            for k, ward_name in enumerate(wards, start=1):
                ward = self.unit(f"{code}-K{k:02d}", ward_name, "DIVISION", code, CITY_START)
                self.staff_ward(ward, administrative=ward_name.startswith("Phòng"))

    def staff_ward(self, ward, *, administrative: bool) -> None:
        head = self.person(VIEN_CHUC, "Lãnh đạo khoa, phòng", female=0.4)
        self.assign(head, ward, "TK" if not administrative else "TP", self.month(date(2012, 1, 1), date(2024, 6, 1)))
        for _ in range(self.between((0, 2))):
            deputy = self.person(VIEN_CHUC, "Lãnh đạo khoa, phòng", female=0.5)
            self.assign(deputy, ward, "PTK" if not administrative else "PP", self.month(CITY_START, date(2025, 6, 1)))
        for _ in range(self.between(self.spec.ward_staff)):
            roll = self.rng.random()
            if roll < 0.14:
                position, group, task, female = "NV-HD", HOP_DONG, TASK_SUPPORT, 0.6
            elif administrative:
                position, group, task, female = "CV", VIEN_CHUC, "Chuyên viên bệnh viện", 0.6
            elif roll < 0.40:
                position, group, task, female = "BS", VIEN_CHUC, "Bác sĩ", 0.5
            elif roll < 0.90:
                position, group, task, female = "DD", VIEN_CHUC, "Điều dưỡng", 0.85
            else:
                position, group, task, female = "KTV", VIEN_CHUC, "Kỹ thuật viên y", 0.5
            person = self.person(group, task, female=female)
            self.assign(person, ward, position, self.month(CITY_START, date(2026, 3, 1)))

    def transfer_mid_2026(self) -> None:
        """A civil servant of the Department of Home Affairs moves to the Department of Finance."""
        for index, row in enumerate(self.data.assignments):
            code, unit, position, start, end, primary, _note = row
            if unit == "SNV-TCBC" and position == "CV" and end is None and primary and start < TRANSFER_ON:
                self.data.assignments[index] = (*row[:4], date(2026, 6, 30), primary, row[6])
                note = "Điều động từ Sở Nội vụ sang Sở Tài chính"
                self.data.assignments.append((code, "STC-NS", "CV", TRANSFER_ON, None, True, _nfc(note)))
                return


def _split(items: list, n: int) -> list[list]:
    """`items` in `n` contiguous groups of nearly equal size."""
    size, extra = divmod(len(items), n)
    groups, start = [], 0
    for i in range(n):
        end = start + size + (i < extra)
        groups.append(items[start:end])
        start = end
    return groups


def build_demo(size: str, *, seed: int = SEED) -> DemoData:
    """Generate the demo rows (no database access)."""
    return _Builder(_spec(size), seed).build()


# --- Loading ---------------------------------------------------------------------------------


@dataclass
class SeedResult:
    size: str
    skipped: bool = False
    generated: dict[str, int] = field(default_factory=dict)  # rows handed to the loader
    counts: dict[str, int] = field(default_factory=dict)  # rows in the database afterwards
    report: LoadReport | None = None
    seconds: dict[str, float] = field(default_factory=dict)


def default_password() -> str:
    return settings.DEMO_PASSWORD


def seed_demo(*, size: str = "small", password: str | None = None, if_empty: bool = False) -> SeedResult:
    """Load the demo org chart, then set the demo passwords, the HR grant and the superuser.

    All or nothing, and idempotent: a second run finds every row unchanged and writes nothing new.
    """
    result = SeedResult(size=size)
    if if_empty and OrgUnit.objects.exists():
        result.skipped = True
        return result
    started = time.perf_counter()
    data = build_demo(size)
    result.generated = data.counts()
    result.seconds["generate"] = time.perf_counter() - started

    User = get_user_model()
    # One hash for every demo account: hashing ~10 times with PBKDF2 would cost seconds.
    password_hash = make_password(password if password is not None else default_password())
    with transaction.atomic():
        admin, _created = User.objects.get_or_create(username="admin")
        admin.is_superuser = admin.is_staff = admin.is_active = True
        admin.password = password_hash
        admin.save()

        loading = time.perf_counter()
        # With DEBUG on, Django keeps the SQL of every statement: ~250 MB and ~25 s for `hanoi`.
        with override_settings(DEBUG=False):
            result.report = load_orgchart(data.orgchart_data(), actor=admin)
        result.seconds["load"] = time.perf_counter() - loading
        del data

        User.objects.filter(username__in=[a.username for a in DEMO_ACCOUNTS]).update(
            password=password_hash, is_active=True
        )
        _grant_hr(User.objects.get(username="demo.hr"), actor=admin)

    result.counts = {
        "units": OrgUnit.objects.count(),
        "successions": UnitSuccession.objects.count(),
        "positions": Position.objects.count(),
        "people": Person.objects.count(),
        "assignments": Assignment.objects.count(),
        "sector_links": SectorLink.objects.count(),
        "users": User.objects.count(),
    }
    result.seconds["total"] = time.perf_counter() - started
    return result


def _grant_hr(user, *, actor) -> None:
    """demo.hr is HR officer of the whole city; an identical grant is left alone (no audit row)."""
    city = OrgUnit.objects.get(code="HN")
    current = UnitUserObjectPermission.objects.filter(
        user=user, content_object=city, permission__codename=access.HR_OFFICER
    ).first()
    if current is not None and (current.valid_from, current.valid_to, current.reason) == (
        HR_GRANT_FROM,
        None,
        HR_GRANT_REASON,
    ):
        return
    services.grant_create(
        user=user,
        unit=city,
        role=access.HR_OFFICER,
        valid_from=HR_GRANT_FROM,
        reason=HR_GRANT_REASON,
        actor=actor,
    )
