/**
 * Who is asking: a signed-in user, possibly a site admin. Every core service takes this one shape;
 * a service reads what it needs (`userId`, `isAdmin`), `username` names the user in what they write
 * (comments, activity), `ip` goes to the audit log.
 */
export interface Actor {
  userId: string;
  /** A site admin (team admins are not: the team matrix decides for them). */
  isAdmin: boolean;
  username?: string;
  ip?: string | null;
}
