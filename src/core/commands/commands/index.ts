import { Composer } from '../composer.js';
import { approveButton, rejectButton } from './approval.js';
import { cancel, cancelButton } from './cancel.js';
import { comment } from './comment.js';
import { dropButton, runButton } from './confirm.js';
import { generate } from './generate.js';
import { help } from './help.js';
import { link } from './link.js';
import { providers } from './providers.js';
import { regenerateButton } from './regenerate.js';
import { approveContent } from './review.js';
import { share, shareButton } from './share.js';
import { status } from './status.js';
import { tasks } from './tasks.js';

/** Every chat command and button, one module each. */
export function chatCommands(): Composer {
  return new Composer()
    .command(generate)
    .command(status)
    .command(tasks)
    .command(cancel)
    .command(share)
    .command(link)
    .command(providers)
    .command(comment)
    .command(approveContent)
    .command(help)
    .action(regenerateButton)
    .action(shareButton)
    .action(cancelButton)
    .action(approveButton)
    .action(rejectButton)
    .action(runButton)
    .action(dropButton)
    .complete();
}
