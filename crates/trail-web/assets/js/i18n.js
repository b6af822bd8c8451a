// Interface words. English is the default; an embedding page may pick another language with
// `?lang=`. Accessible names stay stable in English for the words tests and screen readers use
// unless a translation is chosen on purpose.

const WORDS = {
  en: {},
  de: {
    'Activity log': 'Aktivitätsprotokoll',
    'Search': 'Suche',
    'Filters': 'Filter',
    'Live': 'Live',
    'Export': 'Exportieren',
    'Export History': 'Exportverlauf',
    'All actions': 'Alle Aktionen',
    'Any': 'Alle',
    'Load more': 'Mehr laden',
    'No events match these filters.': 'Keine Ereignisse passen zu diesen Filtern.',
    'Clear filters': 'Filter löschen',
    'Close': 'Schließen',
    'events': 'Ereignisse',
  },
};

let language = 'en';

/** Chooses the language (`en`, `de`); unknown ones fall back to English. */
export function setLanguage(lang) {
  language = WORDS[lang] ? lang : 'en';
  document.documentElement.lang = language;
}

/** The word in the chosen language. */
export function t(word) {
  return WORDS[language][word] || word;
}
