"""The cause taxonomy (CMP-3): 人、机、料、法、环、测 (5M1E) and common sub-causes of a dairy and
livestock service centre. Editable afterwards on the taxonomy page."""

from django.db import migrations

TAXONOMY = [
    ("man", "人", "Man", [
        ("man-training", "培训不足", "Insufficient training"),
        ("man-attitude", "服务态度", "Service attitude"),
        ("man-error", "操作失误", "Operator error"),
    ]),
    ("machine", "机", "Machine", [
        ("machine-failure", "设备故障", "Equipment failure"),
        ("machine-maintenance", "维护保养不到位", "Maintenance not done"),
        ("machine-cold-chain", "冷链设备异常", "Cold-chain equipment fault"),
    ]),
    ("material", "料", "Material", [
        ("material-raw", "原料不合格", "Raw material nonconforming"),
        ("material-packaging", "包装破损", "Packaging damaged"),
        ("material-supplier", "供应商问题", "Supplier issue"),
    ]),
    ("method", "法", "Method", [
        ("method-procedure", "作业规程缺陷", "Procedure defect"),
        ("method-not-followed", "未按规程执行", "Procedure not followed"),
        ("method-communication", "沟通流程缺陷", "Communication process gap"),
    ]),
    ("environment", "环", "Environment", [
        ("env-temperature", "温湿度超标", "Temperature or humidity out of range"),
        ("env-transport", "运输储存环境", "Transport or storage conditions"),
        ("env-hygiene", "卫生环境", "Hygiene"),
    ]),
    ("measurement", "测", "Measurement", [
        ("meas-inspection", "检验漏检", "Inspection missed"),
        ("meas-calibration", "仪器未校准", "Instrument not calibrated"),
        ("meas-standard", "检验标准不当", "Inspection standard inadequate"),
    ]),
]  # fmt: skip


def seed(apps, schema_editor):
    Cause = apps.get_model("complaints", "CauseCategory")
    for i, (code, name, name_en, subs) in enumerate(TAXONOMY, start=1):
        top, _ = Cause.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en, "position": i})
        for j, (sub_code, sub_name, sub_en) in enumerate(subs, start=1):
            Cause.objects.get_or_create(
                code=sub_code, defaults={"name": sub_name, "name_en": sub_en, "parent": top, "position": j}
            )


def unseed(apps, schema_editor):
    apps.get_model("complaints", "CauseCategory").objects.filter(
        code__in=[c for top in TAXONOMY for c in [top[0], *(s[0] for s in top[3])]]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
