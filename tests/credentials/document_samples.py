"""Plain facts of a realistic microcredential, for document, signing and interop tests."""
import datetime as dt
from decimal import Decimal

from credentials.jsonld.documents import CredentialFacts, LabelledValue, OrganisationFacts

MUNI = OrganisationFacts(
    id="did:web:portal.test:institutions:muni",
    legal_name="Masaryk University",
    country_code="CZ",
    country_alpha3="CZE",
    country_name="Czechia",
    url="https://www.muni.cz",
    email="microcredentials@muni.example",
    region="South Moravian Region",
    locality="Brno",
    street_address="Žerotínovo nám. 617/9",
    postal_code="601 77",
    erasmus_code="CZ BRNO05",
    vat_id="CZ00216224",
)
TARTU = OrganisationFacts(
    id="did:web:portal.test:institutions:ut",
    legal_name="University of Tartu",
    country_code="EE",
    country_alpha3="EST",
    country_name="Estonia",
)


def microcredential_facts(**overrides) -> CredentialFacts:
    values = dict(
        credential_id="urn:uuid:7b0c4a52-8a9e-4c2e-9a57-0f1d6a1c2b3d",
        achievement_id="https://portal.test/courses/applied-bioinformatics-rna-seq/#version-1",
        issuer=MUNI,
        joint_awarding_bodies=(TARTU,),
        learner_name="Zuzana Müller-Łukasiewicz",
        learner_email="Zuzana@example.org",
        learner_email_salt="b3f1c2d4e5a6",
        title="Applied Bioinformatics: RNA-seq Analysis",
        description="From raw reads to differential expression and pathway analysis.",
        learning_outcomes=(
            "Design a reproducible RNA-seq analysis workflow.",
            "Identify differentially expressed genes (log₂ fold change ≥ 1) and interpret them.",
        ),
        workload_hours=140,
        ects_credits=Decimal("5.0"),
        eqf_level=7,
        assessment=LabelledValue("project", "Project work", "A written analysis report."),
        participation_form=LabelledValue("blended", "Blended"),
        quality_assurance=LabelledValue(
            "programme_accreditation", "Programme accreditation by an external QA agency"
        ),
        valid_from=dt.datetime(2026, 3, 20, 9, 30, 12, 345000, tzinfo=dt.UTC),
        awarded_date=dt.datetime(2026, 3, 19, 16, 0, tzinfo=dt.UTC),
        course_code="MC-BIO-07",
        qf_ehea_cycle=LabelledValue("second", "Second cycle (master)"),
        prerequisites="A bachelor's degree in life sciences.",
        supervision=LabelledValue("unsupervised_no_id", "Unsupervised, with no identity verification"),
        grading_scheme=LabelledValue("ects_grades", "ECTS grading scale (A–F)"),
        grade="A",
        stackability=LabelledValue("integrated", "Integrated into a degree programme", "MSc Bioinformatics"),
        further_information="Taught on the university's HPC cluster.",
        further_information_url="https://www.muni.cz/bioinformatics",
        field_of_study=LabelledValue("0588", "0588 Inter-disciplinary programmes involving natural sciences"),
        languages=("en",),
        activity_start=dt.date(2026, 1, 10),
        activity_end=dt.date(2026, 3, 15),
        valid_until=dt.datetime(2029, 3, 20, 9, 30, tzinfo=dt.UTC),
    )
    values.update(overrides)
    return CredentialFacts(**values)
