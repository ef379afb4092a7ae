import { Locale, Role } from '../users/role';

/**
 * The report's own words, in each language a user can choose. Statuses, priorities, categories, field
 * names and the wording of a job come from the ticket-activity email (activity-messages.ts).
 */
export interface ReportMessages {
  /** For Intl (dates and numbers). */
  intlLocale: string;
  title(project: string): string;
  report: string;
  period(from: string, to: string): string;
  generated(at: string): string;
  archived: string;
  noDescription: string;
  publicOnly: string;
  print: string;
  contents: string;
  figures: string;
  summary: string;
  open: string;
  closed: string;
  total: string;
  medianTimeToClose: string;
  noneClosed: string;
  hours(value: string): string;
  minutes(value: string): string;
  days(value: string): string;
  byStatus: string;
  byCategory: string;
  byPriority: string;
  count: string;
  perWeek: string;
  weekOf: string;
  opened: string;
  chartDescription(from: string, to: string, opened: number, closed: number): string;
  busiestWeek(week: string, opened: number): string;
  tickets: string;
  ticketCount(count: number): string;
  noTickets: string;
  reporter: string;
  createdAt: string;
  updatedAt: string;
  closedAt: string;
  unassigned: string;
  history: string;
  roles: Record<Role, string>;
  end: string;
}

const en: ReportMessages = {
  intlLocale: 'en-GB',
  title: (project) => `${project}: project report`,
  report: 'Project report',
  period: (from, to) => `Tickets opened from ${from} to ${to} (dates in UTC)`,
  generated: (at) => `Generated on ${at} UTC`,
  archived: 'Archived project',
  noDescription: 'No description.',
  publicOnly:
    'This report is project documentation: it shows the public history of each ticket only. Internal notes are left out, whoever prints it.',
  print: 'Print',
  contents: 'Contents',
  figures: 'Figures',
  summary: 'Summary',
  open: 'Open',
  closed: 'Closed',
  total: 'Total',
  medianTimeToClose: 'Median time to close',
  noneClosed: 'no ticket closed',
  hours: (value) => `${value} h`,
  minutes: (value) => `${value} min`,
  days: (value) => `${value} days`,
  byStatus: 'By status',
  byCategory: 'By category',
  byPriority: 'By priority',
  count: 'Tickets',
  perWeek: 'Tickets per week',
  weekOf: 'Week of',
  opened: 'Opened',
  chartDescription: (from, to, opened, closed) =>
    `Bar chart of the tickets opened and closed each week, from the week of ${from} to the week of ${to}: ${opened} opened and ${closed} closed in all. The table below gives each week's figures.`,
  busiestWeek: (week, opened) => `The busiest week was that of ${week}, with ${opened} tickets opened.`,
  tickets: 'Tickets',
  ticketCount: (count) => (count === 1 ? '1 ticket' : `${count} tickets`),
  noTickets: 'No ticket was opened in this project during the period.',
  reporter: 'Reporter',
  createdAt: 'Opened',
  updatedAt: 'Last updated',
  closedAt: 'Closed',
  unassigned: 'nobody',
  history: 'History',
  roles: { [Role.USER]: 'user', [Role.AGENT]: 'agent', [Role.ADMIN]: 'admin' },
  end: 'End of the report.',
};

const fr: ReportMessages = {
  intlLocale: 'fr-FR',
  title: (project) => `${project}\u00a0: rapport du projet`,
  report: 'Rapport du projet',
  period: (from, to) => `Tickets ouverts du ${from} au ${to} (dates en UTC)`,
  generated: (at) => `Généré le ${at} UTC`,
  archived: 'Projet archivé',
  noDescription: 'Pas de description.',
  publicOnly:
    'Ce rapport sert de documentation du projet\u00a0: il ne montre que l’historique public de chaque ticket. Les notes internes en sont exclues, quelle que soit la personne qui l’imprime.',
  print: 'Imprimer',
  contents: 'Sommaire',
  figures: 'Chiffres',
  summary: 'Résumé',
  open: 'Ouverts',
  closed: 'Fermés',
  total: 'Total',
  medianTimeToClose: 'Délai médian de fermeture',
  noneClosed: 'aucun ticket fermé',
  hours: (value) => `${value}\u00a0h`,
  minutes: (value) => `${value}\u00a0min`,
  days: (value) => `${value}\u00a0jours`,
  byStatus: 'Par statut',
  byCategory: 'Par catégorie',
  byPriority: 'Par priorité',
  count: 'Tickets',
  perWeek: 'Tickets par semaine',
  weekOf: 'Semaine du',
  opened: 'Ouverts',
  chartDescription: (from, to, opened, closed) =>
    `Graphique en barres des tickets ouverts et fermés chaque semaine, de la semaine du ${from} à celle du ${to}\u00a0: ${opened} ouverts et ${closed} fermés en tout. Le tableau qui suit donne les chiffres de chaque semaine.`,
  busiestWeek: (week, opened) =>
    `La semaine la plus chargée a été celle du ${week}, avec ${opened} tickets ouverts.`,
  tickets: 'Tickets',
  ticketCount: (count) => (count <= 1 ? `${count} ticket` : `${count} tickets`),
  noTickets: 'Aucun ticket n’a été ouvert dans ce projet pendant la période.',
  reporter: 'Demandeur',
  createdAt: 'Ouvert le',
  updatedAt: 'Dernière modification',
  closedAt: 'Fermé le',
  unassigned: 'personne',
  history: 'Historique',
  roles: { [Role.USER]: 'utilisateur', [Role.AGENT]: 'agent', [Role.ADMIN]: 'administrateur' },
  end: 'Fin du rapport.',
};

export const reportMessages: Record<Locale, ReportMessages> = { [Locale.EN]: en, [Locale.FR]: fr };
