"""Enumerations of courses: the EU Recommendation's vocabularies, statuses and transitions."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class CourseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


COURSE_TRANSITIONS: dict[str, set[str]] = {
    CourseStatus.DRAFT: {CourseStatus.PUBLISHED, CourseStatus.ARCHIVED},
    CourseStatus.PUBLISHED: {CourseStatus.DRAFT, CourseStatus.ARCHIVED},
    CourseStatus.ARCHIVED: {CourseStatus.DRAFT},
}


class EQFLevel(models.IntegerChoices):
    LEVEL_1 = 1, _("EQF level 1")
    LEVEL_2 = 2, _("EQF level 2")
    LEVEL_3 = 3, _("EQF level 3")
    LEVEL_4 = 4, _("EQF level 4")
    LEVEL_5 = 5, _("EQF level 5")
    LEVEL_6 = 6, _("EQF level 6")
    LEVEL_7 = 7, _("EQF level 7")
    LEVEL_8 = 8, _("EQF level 8")


class QFEHEACycle(models.TextChoices):
    SHORT = "short", _("Short cycle")
    FIRST = "first", _("First cycle (bachelor)")
    SECOND = "second", _("Second cycle (master)")
    THIRD = "third", _("Third cycle (doctorate)")


# The QF-EHEA cycles correspond to these EQF levels; a course that states both must agree.
QF_EHEA_CYCLE_EQF_LEVEL = {
    QFEHEACycle.SHORT: 5,
    QFEHEACycle.FIRST: 6,
    QFEHEACycle.SECOND: 7,
    QFEHEACycle.THIRD: 8,
}


class AssessmentType(models.TextChoices):
    WRITTEN_EXAM = "written_exam", _("Written examination")
    ORAL_EXAM = "oral_exam", _("Oral examination")
    PRACTICAL = "practical", _("Practical or laboratory assessment")
    PROJECT = "project", _("Project work")
    PORTFOLIO = "portfolio", _("Portfolio")
    PRESENTATION = "presentation", _("Presentation")
    ONLINE_TEST = "online_test", _("Online test")
    ESSAY = "essay", _("Essay or written assignment")
    CONTINUOUS = "continuous", _("Continuous assessment")
    MIXED = "mixed", _("Combination of methods")


class ParticipationForm(models.TextChoices):
    ONLINE = "online", _("Online")
    ONSITE = "onsite", _("On site")
    BLENDED = "blended", _("Blended")


class QualityAssuranceType(models.TextChoices):
    INTERNAL = "internal", _("Internal quality assurance of the institution")
    EXTERNAL_INSTITUTIONAL = "external_institutional", _(
        "Institutional accreditation by an external QA agency"
    )
    PROGRAMME_ACCREDITATION = "programme_accreditation", _(
        "Programme accreditation by an external QA agency"
    )
    SECTORAL_STANDARD = "sectoral_standard", _("Sectoral or professional standard")


class SupervisionVerification(models.TextChoices):
    """The three cases the Recommendation's Annex I lists for assessment."""

    UNSUPERVISED_NO_ID = "unsupervised_no_id", _(
        "Unsupervised, with no identity verification"
    )
    SUPERVISED_NO_ID = "supervised_no_id", _("Supervised, with no identity verification")
    SUPERVISED_WITH_ID = "supervised_with_id", _(
        "Supervised online or on site, with identity verification"
    )


class GradingScheme(models.TextChoices):
    PASS_FAIL = "pass_fail", _("Pass / fail")
    PERCENTAGE = "percentage", _("Percentage (0–100 %)")
    ECTS_GRADES = "ects_grades", _("ECTS grading scale (A–F)")
    NUMERIC_1_5 = "numeric_1_5", _("Numeric scale 1 (best) – 5")


class Stackability(models.TextChoices):
    STANDALONE = "standalone", _("Stand-alone microcredential")
    STACKABLE = "stackable", _("Stackable towards a larger credential")
    INTEGRATED = "integrated", _("Integrated into a degree programme")


class Language(models.TextChoices):
    BG = "bg", _("Bulgarian")
    CS = "cs", _("Czech")
    DA = "da", _("Danish")
    DE = "de", _("German")
    EL = "el", _("Greek")
    EN = "en", _("English")
    ES = "es", _("Spanish")
    ET = "et", _("Estonian")
    FI = "fi", _("Finnish")
    FR = "fr", _("French")
    GA = "ga", _("Irish")
    HR = "hr", _("Croatian")
    HU = "hu", _("Hungarian")
    IT = "it", _("Italian")
    LT = "lt", _("Lithuanian")
    LV = "lv", _("Latvian")
    MT = "mt", _("Maltese")
    NL = "nl", _("Dutch")
    PL = "pl", _("Polish")
    PT = "pt", _("Portuguese")
    RO = "ro", _("Romanian")
    SK = "sk", _("Slovak")
    SL = "sl", _("Slovenian")
    SV = "sv", _("Swedish")
    UK = "uk", _("Ukrainian")


class FieldOfStudy(models.TextChoices):
    """ISCED-F 2013 narrow fields (and the interdisciplinary codes common in life sciences)."""

    EDUCATION = "011", _("011 Education")
    ARTS = "021", _("021 Arts")
    HUMANITIES = "022", _("022 Humanities (except languages)")
    LANGUAGES = "023", _("023 Languages")
    SOCIAL_SCIENCES = "031", _("031 Social and behavioural sciences")
    JOURNALISM = "032", _("032 Journalism and information")
    BUSINESS = "041", _("041 Business and administration")
    LAW = "042", _("042 Law")
    BIOLOGY = "051", _("051 Biological and related sciences")
    ENVIRONMENT = "052", _("052 Environment")
    PHYSICAL_SCIENCES = "053", _("053 Physical sciences")
    MATHEMATICS = "054", _("054 Mathematics and statistics")
    NATURAL_SCIENCES_INTERDISCIPLINARY = "0588", _(
        "0588 Inter-disciplinary programmes involving natural sciences, mathematics and statistics"
    )
    ICT = "061", _("061 Information and communication technologies")
    ICT_INTERDISCIPLINARY = "0688", _("0688 Inter-disciplinary programmes involving ICTs")
    ENGINEERING = "071", _("071 Engineering and engineering trades")
    MANUFACTURING = "072", _("072 Manufacturing and processing")
    ARCHITECTURE = "073", _("073 Architecture and construction")
    AGRICULTURE = "081", _("081 Agriculture")
    FORESTRY = "082", _("082 Forestry")
    FISHERIES = "083", _("083 Fisheries")
    VETERINARY = "084", _("084 Veterinary")
    HEALTH = "091", _("091 Health")
    WELFARE = "092", _("092 Welfare")
    HEALTH_INTERDISCIPLINARY = "0988", _(
        "0988 Inter-disciplinary programmes involving health and welfare"
    )
    PERSONAL_SERVICES = "101", _("101 Personal services")
    HYGIENE = "102", _("102 Hygiene and occupational health services")
    SECURITY = "103", _("103 Security services")
    TRANSPORT = "104", _("104 Transport services")


class CatalogueSort(models.TextChoices):
    RELEVANCE = "relevance", _("Best match")
    STARTING_SOON = "starting", _("Starting soonest")
    TITLE = "title", _("Title A–Z")
    ECTS_ASC = "ects", _("Fewest ECTS first")
    ECTS_DESC = "-ects", _("Most ECTS first")
    EQF = "eqf", _("EQF level")
    NEWEST = "newest", _("Newest")


class PriceFilter(models.TextChoices):
    FREE = "free", _("Free")
    PAID = "paid", _("Paid")
