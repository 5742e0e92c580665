import '../admin-env.js'; // before adminjs
import {
  type ActionContext,
  type ActionRequest,
  type ActionResponse,
  type RecordJSON,
  type ResourceWithOptions,
  ValidationError,
} from 'adminjs';
import { describeBytes } from '../../common/byte-size.js';
import { PASSWORD_MIN_LENGTH } from '../../users/user.rules.js';
import { User } from '../../users/user.entity.js';
import { UserHasImagesError } from '../../users/users.errors.js';
import { fieldError } from '../form-errors.js';
import { eachRecord, isPost, keepParams } from '../hooks.js';
import { TypeormResource } from '../typeorm-resource.js';
import { type AdminDeps, formBoolean, isUnset } from './shared.js';

/** The panel's own rule (not the API's): an administrator cannot lock themselves out. */
const userBefore = async (request: ActionRequest, context: ActionContext) => {
  if (!isPost(request) || !request.payload) return request;
  keepParams(request.payload, 'username', 'password', 'isAdmin', 'tierId');
  const editingSelf = context.action.name === 'edit' && context.record?.id() === context.currentAdmin?.id;
  if (editingSelf && !formBoolean(request.payload.isAdmin)) {
    throw fieldError('isAdmin', 'You cannot remove your own administrator rights.');
  }
  if (context.action.name === 'edit' && isUnset(request.payload.tierId)) throw fieldError('tierId', 'Choose a tier.');
  return request;
};

export function usersResource({ users, images, usage }: AdminDeps): ResourceWithOptions {
  // What each user uses, in words (the counters PostgreSQL keeps; usage per tier is no metric label).
  const loadUsage = async (response: ActionResponse) => {
    const records: RecordJSON[] = [];
    await eachRecord(response, (r) => void (r.id && r.params.username !== undefined && records.push(r)));
    if (!records.length) return response;
    const used = await usage.ofMany(records.map((r) => String(r.id)));
    for (const r of records) {
      const u = used.get(String(r.id));
      if (!u) continue;
      r.params.usage =
        `${u.images} image${u.images === 1 ? '' : 's'}, ${describeBytes(u.storedBytes)} stored ` +
        `(${u.storedBytes} bytes), ${u.uploadsToday} upload${u.uploadsToday === 1 ? '' : 's'} in the last 24 hours`;
    }
    return response;
  };

  const save = (id: string | null, p: Record<string, unknown>) =>
    users.save(id, {
      username: String(p.username ?? ''),
      password: isUnset(p.password) ? undefined : String(p.password),
      isAdmin: formBoolean(p.isAdmin),
      tierId: isUnset(p.tierId) ? undefined : Number(p.tierId),
    });

  // Their images go first, through the image service, so that the stored files go too (images.ownerId is
  // RESTRICT). An upload racing with this makes the user delete fail: go round again.
  const remove = async (id: string, context?: ActionContext) => {
    if (id === context?.currentAdmin?.id) {
      throw new ValidationError({}, { message: 'You cannot delete your own account.' });
    }
    for (let attempt = 1; ; attempt++) {
      await images.removeAllOwnedBy(id);
      try {
        await users.delete(id);
        return;
      } catch (error) {
        if (!(error instanceof UserHasImagesError) || attempt >= 3) throw error;
      }
    }
  };

  return {
    resource: new TypeormResource(User, { save, delete: remove }, { unfilterable: ['passwordHash'] }),
    options: {
      navigation: { name: 'Accounts', icon: 'Users' },
      titleProperty: 'username',
      sort: { sortBy: 'username', direction: 'asc' },
      listProperties: ['username', 'isAdmin', 'tierId', 'usage', 'createdAt'],
      showProperties: ['id', 'username', 'isAdmin', 'tierId', 'usage', 'createdAt', 'updatedAt'],
      editProperties: ['username', 'password', 'isAdmin', 'tierId'],
      filterProperties: ['username', 'isAdmin', 'tierId', 'createdAt'],
      properties: {
        passwordHash: { isVisible: false, isSortable: false },
        password: {
          type: 'password',
          isVisible: { list: false, show: false, filter: false, edit: true },
          description: `At least ${PASSWORD_MIN_LENGTH} characters. When editing, leave empty to keep the current password.`,
        },
        username: { isTitle: true, isRequired: true },
        tierId: {
          reference: 'Tier',
          isRequired: true,
          description: 'New users get Basic unless you choose another tier.',
        },
        isAdmin: { description: 'Administrators can log in to this panel.' },
        usage: {
          type: 'string',
          isSortable: false,
          isVisible: { list: true, show: true, edit: false, filter: false },
          description: 'Images, stored bytes (originals and every thumbnail) and uploads in the last 24 hours.',
        },
      },
      actions: {
        list: { after: loadUsage },
        show: { after: loadUsage },
        new: { before: userBefore },
        edit: { before: userBefore },
        delete: { guard: 'Delete this user? Their images, stored files and links are deleted too.' },
        bulkDelete: { guard: 'Delete these users? Their images, stored files and links are deleted too.' },
      },
    },
  };
}
