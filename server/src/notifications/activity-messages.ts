import { Locale } from '../users/role';

/** Why a person gets a ticket-activity email: said in its footer, in this order. */
export const activityReasons = [
  'author',
  'assignee',
  'previousAssignee',
  'newTicket',
  'unassignedReply',
] as const;
export type ActivityReason = (typeof activityReasons)[number];

/** The words of the ticket-activity email, in each language a user can choose. */
export interface ActivityMessages {
  opened(actor: string): string;
  commented(actor: string): string;
  changed(actor: string): string;
  commentedAndChanged(actor: string): string;
  internalNote(actor: string): string;
  reporterAnswered: string;
  openTicket: string;
  none: string;
  fields: Record<string, string>;
  /** Status names; WAITING reads differently for the reporter and for staff. */
  statuses: Record<string, string>;
  waitingForReporter: string;
  priorities: Record<string, string>;
  categories: Record<string, string>;
  why: Record<ActivityReason, string>;
  /** For messages queued before the reason was kept with them. */
  whyWatcher: string;
  unsubscribe: string;
}

const en: ActivityMessages = {
  opened: (actor) => `${actor} opened the ticket`,
  commented: (actor) => `${actor} commented`,
  changed: (actor) => `${actor} changed the ticket`,
  commentedAndChanged: (actor) => `${actor} commented and changed the ticket`,
  internalNote: (actor) => `${actor} added an internal note (staff only)`,
  reporterAnswered: 'The reporter answered: the ticket is back to Open.',
  openTicket: 'Open the ticket',
  none: 'none',
  fields: {
    title: 'Title',
    description: 'Description',
    status: 'Status',
    priority: 'Priority',
    category: 'Category',
    project: 'Project',
    assignee: 'Assignee',
    duplicateOf: 'Duplicate of',
  },
  statuses: {
    OPEN: 'Open',
    IN_PROGRESS: 'In progress',
    WAITING: 'Waiting for your answer',
    RESOLVED: 'Resolved',
    CLOSED: 'Closed',
  },
  waitingForReporter: 'Waiting for reporter',
  priorities: { LOW: 'Low', NORMAL: 'Normal', HIGH: 'High', URGENT: 'Urgent' },
  categories: { BUG: 'Bug', IMPROVEMENT: 'Improvement', QUESTION: 'Question', OTHER: 'Other' },
  why: {
    author: 'You get this email because you reported this ticket.',
    assignee: 'You get this email because this ticket is assigned to you.',
    previousAssignee: 'You get this email because this ticket was assigned to you.',
    newTicket: 'You get this email because you asked to be told of new tickets.',
    unassignedReply:
      'You get this email because you asked to be told of replies to tickets nobody is assigned to.',
  },
  whyWatcher:
    'You get this email because you asked to be told of new tickets and of replies to unassigned ones.',
  unsubscribe: 'Stop these emails',
};

const fr: ActivityMessages = {
  opened: (actor) => `${actor} a ouvert le ticket`,
  commented: (actor) => `${actor} a commenté`,
  changed: (actor) => `${actor} a modifié le ticket`,
  commentedAndChanged: (actor) => `${actor} a commenté et modifié le ticket`,
  internalNote: (actor) => `${actor} a ajouté une note interne (équipe seulement)`,
  reporterAnswered: 'Le demandeur a répondu\u00a0: le ticket est de nouveau Ouvert.',
  openTicket: 'Voir le ticket',
  none: 'aucun',
  fields: {
    title: 'Titre',
    description: 'Description',
    status: 'Statut',
    priority: 'Priorité',
    category: 'Catégorie',
    project: 'Projet',
    assignee: 'Assigné à',
    duplicateOf: 'Doublon de',
  },
  statuses: {
    OPEN: 'Ouvert',
    IN_PROGRESS: 'En cours',
    WAITING: 'En attente de votre réponse',
    RESOLVED: 'Résolu',
    CLOSED: 'Fermé',
  },
  waitingForReporter: 'En attente du demandeur',
  priorities: { LOW: 'Basse', NORMAL: 'Normale', HIGH: 'Haute', URGENT: 'Urgente' },
  categories: { BUG: 'Bogue', IMPROVEMENT: 'Amélioration', QUESTION: 'Question', OTHER: 'Autre' },
  why: {
    author: 'Vous recevez cet e-mail parce que vous avez signalé ce ticket.',
    assignee: 'Vous recevez cet e-mail parce que ce ticket vous est assigné.',
    previousAssignee: 'Vous recevez cet e-mail parce que ce ticket vous était assigné.',
    newTicket: 'Vous recevez cet e-mail parce que vous avez demandé à être prévenu des nouveaux tickets.',
    unassignedReply:
      'Vous recevez cet e-mail parce que vous avez demandé à être prévenu des réponses aux tickets non assignés.',
  },
  whyWatcher:
    'Vous recevez cet e-mail parce que vous avez demandé à être prévenu des nouveaux tickets et des réponses aux tickets non assignés.',
  unsubscribe: 'Ne plus recevoir ces e-mails',
};

export const activityMessages: Record<Locale, ActivityMessages> = { [Locale.EN]: en, [Locale.FR]: fr };
