"""The fixed wording around a survey (buttons, scale ends, invitation text) per language.

A survey's own questions, introduction and thank-you text are written by the
organisation per language (JSON maps on the models). What the organisation
does not write (the submit button, the ends of the standard scales, the
invitation that carries the link) comes from here, in the languages below,
falling back to English.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation.trans_real import parse_accept_lang_header

LANGUAGES = ("en", "fr", "de", "es", "nl")

CHROME: dict[str, dict[str, str]] = {
    "en": {
        "submit": "Send my answers",
        "required": "Please answer this question.",
        "optional": "optional",
        "thank_you": "Thank you! Your answers help us serve you better.",
        "already": "You have already answered this survey. Thank you!",
        "expired": "This survey has closed. Thank you for your interest.",
        "not_likely": "Not at all likely",
        "very_likely": "Extremely likely",
        "very_unsatisfied": "Very unsatisfied",
        "very_satisfied": "Very satisfied",
        "very_easy": "Very easy",
        "very_difficult": "Very difficult",
        "comment_placeholder": "Tell us more (optional)",
        "invitation": "Thank you for contacting {organisation}. How did we do? "
        "Please tell us in under a minute: {link}",
        "invitation_subject": "How did we do? – {organisation}",
        "language": "Language",
    },
    "fr": {
        "submit": "Envoyer mes réponses",
        "required": "Merci de répondre à cette question.",
        "optional": "facultatif",
        "thank_you": "Merci ! Vos réponses nous aident à mieux vous servir.",
        "already": "Vous avez déjà répondu à cette enquête. Merci !",
        "expired": "Cette enquête est close. Merci de votre intérêt.",
        "not_likely": "Pas du tout probable",
        "very_likely": "Très probable",
        "very_unsatisfied": "Très insatisfait",
        "very_satisfied": "Très satisfait",
        "very_easy": "Très facile",
        "very_difficult": "Très difficile",
        "comment_placeholder": "Dites-nous en plus (facultatif)",
        "invitation": "Merci d'avoir contacté {organisation}. Qu'avez-vous pensé de notre "
        "aide ? Dites-le-nous en moins d'une minute : {link}",
        "invitation_subject": "Votre avis – {organisation}",
        "language": "Langue",
    },
    "de": {
        "submit": "Antworten senden",
        "required": "Bitte beantworten Sie diese Frage.",
        "optional": "optional",
        "thank_you": "Vielen Dank! Ihre Antworten helfen uns, besser zu werden.",
        "already": "Sie haben diese Umfrage bereits beantwortet. Vielen Dank!",
        "expired": "Diese Umfrage ist beendet. Danke für Ihr Interesse.",
        "not_likely": "Sehr unwahrscheinlich",
        "very_likely": "Sehr wahrscheinlich",
        "very_unsatisfied": "Sehr unzufrieden",
        "very_satisfied": "Sehr zufrieden",
        "very_easy": "Sehr einfach",
        "very_difficult": "Sehr schwierig",
        "comment_placeholder": "Erzählen Sie uns mehr (optional)",
        "invitation": "Danke, dass Sie {organisation} kontaktiert haben. Wie war unser "
        "Service? Sagen Sie es uns in einer Minute: {link}",
        "invitation_subject": "Wie war unser Service? – {organisation}",
        "language": "Sprache",
    },
    "es": {
        "submit": "Enviar mis respuestas",
        "required": "Responda a esta pregunta, por favor.",
        "optional": "opcional",
        "thank_you": "¡Gracias! Sus respuestas nos ayudan a atenderle mejor.",
        "already": "Ya ha respondido a esta encuesta. ¡Gracias!",
        "expired": "Esta encuesta está cerrada. Gracias por su interés.",
        "not_likely": "Nada probable",
        "very_likely": "Muy probable",
        "very_unsatisfied": "Muy insatisfecho",
        "very_satisfied": "Muy satisfecho",
        "very_easy": "Muy fácil",
        "very_difficult": "Muy difícil",
        "comment_placeholder": "Cuéntenos más (opcional)",
        "invitation": "Gracias por contactar con {organisation}. ¿Qué tal le atendimos? "
        "Díganoslo en menos de un minuto: {link}",
        "invitation_subject": "¿Qué tal le atendimos? – {organisation}",
        "language": "Idioma",
    },
    "nl": {
        "submit": "Antwoorden versturen",
        "required": "Beantwoord deze vraag alstublieft.",
        "optional": "optioneel",
        "thank_you": "Dank u wel! Met uw antwoorden helpen wij u beter.",
        "already": "U hebt deze enquête al ingevuld. Dank u wel!",
        "expired": "Deze enquête is gesloten. Bedankt voor uw interesse.",
        "not_likely": "Zeer onwaarschijnlijk",
        "very_likely": "Zeer waarschijnlijk",
        "very_unsatisfied": "Zeer ontevreden",
        "very_satisfied": "Zeer tevreden",
        "very_easy": "Zeer makkelijk",
        "very_difficult": "Zeer moeilijk",
        "comment_placeholder": "Vertel ons meer (optioneel)",
        "invitation": "Bedankt voor uw contact met {organisation}. Hoe hebben we het gedaan? "
        "Laat het ons in een minuut weten: {link}",
        "invitation_subject": "Hoe hebben we het gedaan? – {organisation}",
        "language": "Taal",
    },
}


def chrome(language: str) -> dict[str, str]:
    """Return the fixed wording in `language`, English where it has none."""
    return {**CHROME["en"], **CHROME.get(base(language), {})}


def base(language: str) -> str:
    """Return the primary subtag: "fr-CA" -> "fr"."""
    return (language or "").split("-")[0].split("_")[0].lower()[:12]


def choose(
    available: Iterable[str], *, wanted: Iterable[str] = (), accept_language: str = "", default: str
) -> str:
    """Pick the first wanted language the survey has, then Accept-Language's, then the default."""
    have = {base(code): code for code in available}
    preferences = [base(code) for code in wanted if code]
    if accept_language:
        try:
            parsed = parse_accept_lang_header(accept_language[:500])
        except ValueError:
            parsed = ()
        preferences += [base(code) for code, _ in parsed if code != "*"]
    for code in preferences:
        if code in have:
            return have[code]
    return default
