import nodemailer from 'nodemailer';
import type { InviteMailer } from '../core/teams/ports.js';

/**
 * Team invites by e-mail through nodemailer (SMTP_URL, e.g. smtps://user:pass@smtp.example.com:465).
 * Without SMTP_URL no mailer is built and the invite link is only returned to copy.
 */
export function createInviteMailer(opts: { smtpUrl: string; from: string }): InviteMailer {
  const transport = nodemailer.createTransport(opts.smtpUrl);
  return {
    async send({ to, teamName, url, role, expiresAt }) {
      await transport.sendMail({
        from: opts.from,
        to,
        subject: `You are invited to the team “${teamName}” on Switchyard`,
        text: [
          `You have been invited to join the team “${teamName}” as ${role}.`,
          '',
          `Accept the invite (sign in first if asked): ${url}`,
          '',
          `The link works once and expires at ${expiresAt.toISOString()}.`,
        ].join('\n'),
      });
    },
  };
}
