import './admin-env.js'; // before adminjs
import {
  type ActionContext,
  type ActionRequest,
  type ActionResponse,
  BaseRecord,
  NotFoundError,
  type RecordJSON,
  type ResourceWithOptions,
  ValidationError,
} from 'adminjs';
import { type DataSource, In, Not } from 'typeorm';
import type { PasswordService } from '../auth/password.service.js';
import type { Clock } from '../common/clock.js';
import { ExpiringLink } from '../expiring-links/expiring-link.entity.js';
import type { ExpiringLinksService } from '../expiring-links/expiring-links.service.js';
import { type ImageFormat, Image } from '../images/image.entity.js';
import type { ImagesService } from '../images/images.service.js';
import type { PermanentLinks, Variant } from '../links/permanent-links.js';
import type { GrantsService } from '../tiers/grants.service.js';
import { Size } from '../tiers/size.entity.js';
import { Tier } from '../tiers/tier.entity.js';
import { User } from '../users/user.entity.js';
import { DEFAULT_TIER } from '../users/users.service.js';
import { Components } from './component-loader.js';
import {
  dropParams,
  eachRecord,
  fieldError,
  headerOf,
  isPost,
  keepParams,
  stripEverywhere,
  takeArrayParam,
} from './hooks.js';
import { TypeormResource } from './typeorm-resource.js';

export interface AdminDeps {
  dataSource: DataSource;
  passwords: PasswordService;
  images: ImagesService;
  links: PermanentLinks;
  grants: GrantsService;
  expiringLinks: ExpiringLinksService;
  clock: Clock;
}

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_HEIGHT = 10_000;

const READ_ONLY = { isVisible: { list: true, show: true, edit: false, filter: true } };
const NO_FORMS = { new: { isAccessible: false, isVisible: false }, edit: { isAccessible: false, isVisible: false } };

/** Context of one action run: the tier's submitted sizes travel from the before to the after hook here. */
type TierContext = ActionContext & { sizeIds?: number[] };

/** Runs after every action of every resource: the password hash never reaches the browser. */
const stripSecrets = async (response: ActionResponse) => {
  await stripEverywhere(response, 'passwordHash', 'password');
  return response;
};
const ALL_ACTIONS = ['list', 'show', 'new', 'edit', 'delete', 'bulkDelete', 'search'] as const;

export function buildResources(deps: AdminDeps): ResourceWithOptions[] {
  const { dataSource: ds, passwords, images, links, grants, expiringLinks, clock } = deps;
  const pgCode = (error: unknown) => (error as { driverError?: { code?: string } }).driverError?.code;

  // ---------------------------------------------------------------- Users (virtual password field)
  const userBefore = async (request: ActionRequest, context: ActionContext) => {
    if (!isPost(request) || !request.payload) return request;
    const p = request.payload;
    keepParams(p, 'username', 'password', 'isAdmin', 'tierId');
    const isNew = context.action.name === 'new';
    const selfId = context.record?.id();

    const username = String(p.username ?? '').trim();
    if (!username) throw fieldError('username', 'Username is required.');
    if (username.length > 100) throw fieldError('username', 'At most 100 characters.');
    const clash = await ds.getRepository(User).findOneBy({ username, ...(selfId ? { id: Not(String(selfId)) } : {}) });
    if (clash) throw fieldError('username', `A user named "${username}" already exists.`);
    p.username = username;

    const password = typeof p.password === 'string' ? p.password : '';
    delete p.password;
    if (password) {
      if (password.length < MIN_PASSWORD_LENGTH)
        throw fieldError('password', `At least ${MIN_PASSWORD_LENGTH} characters.`);
      if (password.length > 1024) throw fieldError('password', 'At most 1024 characters.');
      p.passwordHash = await passwords.hash(password);
    } else if (isNew) {
      throw fieldError('password', 'Password is required.');
    }

    const tierId = p.tierId;
    if (tierId === undefined || tierId === null || tierId === '' || String(tierId).startsWith('__FORM_VALUE_')) {
      if (!isNew) throw fieldError('tierId', 'Choose a tier.');
      const basic = await ds.getRepository(Tier).findOneBy({ name: DEFAULT_TIER });
      if (!basic) throw fieldError('tierId', 'Choose a tier.');
      p.tierId = basic.id;
    }

    const currentAdminId = context.currentAdmin?.id;
    if (!isNew && selfId && selfId === currentAdminId && String(p.isAdmin) === 'false') {
      throw fieldError('isAdmin', 'You cannot remove your own administrator rights.');
    }
    return request;
  };
  const deleteUser = async (id: string, context?: ActionContext) => {
    if (id === context?.currentAdmin?.id)
      throw new ValidationError({}, { message: 'You cannot delete your own account.' });
    // Their images go first, through the image service, so that the stored files go too (images.ownerId is
    // RESTRICT). An upload racing with this makes the user delete fail on that key: go round again.
    for (let attempt = 1; ; attempt++) {
      const owned: Array<{ id: string }> = await ds.query(`SELECT id FROM images WHERE "ownerId" = $1`, [id]);
      for (const image of owned) await images.removeById(image.id);
      try {
        await ds.getRepository(User).delete({ id });
        return;
      } catch (error) {
        if (!['23503', '23001'].includes(pgCode(error) ?? '') || attempt >= 3) throw error;
      }
    }
  };
  const userResource: ResourceWithOptions = {
    resource: new TypeormResource(User, { delete: deleteUser }),
    options: {
      navigation: { name: 'Accounts', icon: 'Users' },
      titleProperty: 'username',
      sort: { sortBy: 'username', direction: 'asc' },
      listProperties: ['username', 'isAdmin', 'tierId', 'createdAt'],
      showProperties: ['id', 'username', 'isAdmin', 'tierId', 'createdAt', 'updatedAt'],
      editProperties: ['username', 'password', 'isAdmin', 'tierId'],
      filterProperties: ['username', 'isAdmin', 'tierId', 'createdAt'],
      properties: {
        passwordHash: { isVisible: false },
        password: {
          type: 'password',
          isVisible: { list: false, show: false, filter: false, edit: true },
          description: `At least ${MIN_PASSWORD_LENGTH} characters. When editing, leave empty to keep the current password.`,
        },
        username: { isTitle: true, isRequired: true },
        tierId: {
          reference: 'Tier',
          isRequired: true,
          description: 'New users get Basic unless you choose another tier.',
        },
        isAdmin: { description: 'Administrators can log in to this panel.' },
      },
      actions: {
        new: { before: userBefore },
        edit: { before: userBefore },
        delete: { guard: 'Delete this user? Their images, stored files and links are deleted too.' },
        bulkDelete: { guard: 'Delete these users? Their images, stored files and links are deleted too.' },
      },
    },
  };

  // ---------------------------------------------------------------- Tiers (many-to-many sizes)
  const tierInUse = (users?: number) =>
    `${users === undefined ? 'Users are' : users === 1 ? '1 user is' : `${users} users are`} still on this tier: move them to another tier first.`;
  const tierBefore = async (request: ActionRequest, context: TierContext) => {
    if (!isPost(request) || !request.payload) return request;
    const p = request.payload;
    const ids = takeArrayParam(p, 'sizeIds');
    keepParams(p, 'name', 'originalLink', 'expiringLinks');
    const name = String(p.name ?? '').trim();
    if (!name) throw fieldError('name', 'Name is required.');
    if (name.length > 100) throw fieldError('name', 'At most 100 characters.');
    const selfId = context.record?.id();
    const clash = await ds.getRepository(Tier).findOneBy({ name, ...(selfId ? { id: Not(Number(selfId)) } : {}) });
    if (clash) throw fieldError('name', `A tier named "${name}" already exists.`);
    p.name = name;
    if (ids) {
      const numeric = ids.map(Number);
      if (numeric.some((n) => !Number.isInteger(n))) throw fieldError('sizeIds', 'Invalid size.');
      const found = numeric.length ? await ds.getRepository(Size).countBy({ id: In(numeric) }) : 0;
      if (found !== numeric.length) throw fieldError('sizeIds', 'A selected size no longer exists.');
      context.sizeIds = numeric;
    }
    return request;
  };
  const tierSizesSave = async (response: ActionResponse, request: ActionRequest, context: TierContext) => {
    const ids = context.sizeIds;
    const record = response.record as RecordJSON | undefined;
    if (!isPost(request) || !ids || !record?.id || Object.keys(record.errors ?? {}).length) return response;
    await ds.transaction(async (tx) => {
      await tx.query(`DELETE FROM tier_sizes WHERE "tierId" = $1`, [Number(record.id)]);
      if (ids.length) {
        await tx.query(`INSERT INTO tier_sizes ("tierId", "sizeId") SELECT $1, unnest($2::int[])`, [
          Number(record.id),
          ids,
        ]);
      }
    });
    return response;
  };
  // Fills the virtual sizeIds.N params (with their populated records, for labels) and thumbnailHeights.
  const tierSizesLoad = async (response: ActionResponse) => {
    const records: RecordJSON[] = [];
    await eachRecord(response, (r) => void (r.id && records.push(r)));
    if (!records.length) return response;
    const rows: Array<{ tierId: number; id: number; height: number }> = await ds.query(
      `SELECT ts."tierId", s.id, s.height FROM tier_sizes ts JOIN sizes s ON s.id = ts."sizeId"
        WHERE ts."tierId" = ANY($1::int[]) ORDER BY s.height`,
      [records.map((r) => Number(r.id))],
    );
    for (const r of records) {
      const sizes = rows.filter((row) => row.tierId === Number(r.id));
      dropParams(r.params, 'sizeIds');
      sizes.forEach((s, i) => {
        r.params[`sizeIds.${i}`] = s.id;
        r.populated[`sizeIds.${i}`] = {
          id: String(s.id),
          title: String(s.height),
          params: { id: s.id, height: s.height },
        } as unknown as RecordJSON;
      });
      r.params.thumbnailHeights = sizes.map((s) => s.height).join(', ') || '-';
    }
    return response;
  };
  const tierResource: ResourceWithOptions = {
    resource: new TypeormResource(Tier, {
      delete: async (id) => {
        const users = await ds.getRepository(User).countBy({ tierId: Number(id) });
        if (users) throw new ValidationError({}, { message: tierInUse(users) });
        await ds.getRepository(Tier).delete({ id: Number(id) });
      },
      inUseMessage: tierInUse(), // a user moved onto it meanwhile
    }),
    options: {
      navigation: { name: 'Accounts', icon: 'Layers' },
      titleProperty: 'name',
      sort: { sortBy: 'name', direction: 'asc' },
      listProperties: ['name', 'thumbnailHeights', 'originalLink', 'expiringLinks'],
      showProperties: ['id', 'name', 'sizeIds', 'originalLink', 'expiringLinks'],
      editProperties: ['name', 'sizeIds', 'originalLink', 'expiringLinks'],
      filterProperties: ['name', 'originalLink', 'expiringLinks'],
      properties: {
        name: { isTitle: true, isRequired: true },
        sizeIds: {
          type: 'reference',
          reference: 'Size',
          isArray: true,
          isSortable: false,
          components: { edit: Components.SizeMultiSelect },
          description: 'Thumbnail heights this tier grants.',
        },
        thumbnailHeights: { type: 'string', isSortable: false },
        originalLink: { description: 'Image responses link the original file.' },
        expiringLinks: { description: 'Owners may create expiring links.' },
      },
      actions: {
        new: { before: tierBefore, after: [tierSizesSave, tierSizesLoad] },
        edit: { before: tierBefore, after: [tierSizesSave, tierSizesLoad] },
        show: { after: tierSizesLoad },
        list: { after: tierSizesLoad },
      },
    },
  };

  // ---------------------------------------------------------------- Sizes
  const sizeBefore = async (request: ActionRequest, context: ActionContext) => {
    if (!isPost(request) || !request.payload) return request;
    keepParams(request.payload, 'height');
    const raw = request.payload.height;
    const height = Number(raw);
    if (raw === undefined || raw === '' || !Number.isInteger(height) || height < 1 || height > MAX_HEIGHT) {
      throw fieldError('height', `Height must be a whole number from 1 to ${MAX_HEIGHT}.`);
    }
    const selfId = context.record?.id();
    const clash = await ds.getRepository(Size).findOneBy({ height, ...(selfId ? { id: Not(Number(selfId)) } : {}) });
    if (clash) throw fieldError('height', `A size with height ${height} already exists.`);
    request.payload.height = height;
    return request;
  };
  const sizeResource: ResourceWithOptions = {
    resource: new TypeormResource(Size),
    options: {
      navigation: { name: 'Accounts', icon: 'Maximize2' },
      titleProperty: 'height',
      sort: { sortBy: 'height', direction: 'asc' },
      listProperties: ['height'],
      showProperties: ['id', 'height'],
      editProperties: ['height'],
      filterProperties: ['height'],
      properties: {
        height: { isRequired: true, description: `Thumbnail height in pixels, 1 to ${MAX_HEIGHT}.` },
      },
      actions: {
        new: { before: sizeBefore },
        edit: { before: sizeBefore },
        // What the tier form's size picker calls: heights starting with the typed digits ("1" finds 100, 150),
        // where the default search compares the number for equality (and fails on non-digits).
        search: {
          handler: async (request, _response, context) => {
            const typed = String(request.params?.query ?? '').trim();
            const digits = typed.replace(/\D/g, '');
            if (typed && !digits) return { records: [] };
            const query = ds.getRepository(Size).createQueryBuilder('s').orderBy('s.height', 'ASC').limit(100);
            if (digits) query.where(`s.height::text LIKE :prefix`, { prefix: `${digits}%` });
            const sizes = await query.getMany();
            return {
              records: sizes.map((size) => new BaseRecord({ ...size }, context.resource).toJSON(context.currentAdmin)),
            };
          },
        },
        delete: { guard: 'Delete this size? Every tier that grants it stops granting it.' },
        bulkDelete: { guard: 'Delete these sizes? Every tier that grants them stops granting them.' },
      },
    },
  };

  // ---------------------------------------------------------------- Images (preview, delete with files)
  /** The owner's smallest granted thumbnail, else the original if granted, else none. */
  const previewUrl = async (imageId: string, ownerId: string, format: ImageFormat): Promise<string | null> => {
    const owner = await grants.forUser(ownerId);
    if (!owner) return null;
    const heights = owner.tier.thumbnailHeights;
    const variant: Variant | null = heights.length
      ? `${Math.min(...heights)}`
      : owner.tier.originalLink
        ? 'original'
        : null;
    return variant ? links.url(imageId, variant, format) : null;
  };
  const addPreview = async (response: ActionResponse) => {
    await eachRecord(response, async (r) => {
      if (!r.id) return;
      r.params.previewUrl = await previewUrl(String(r.id), String(r.params.ownerId), r.params.format as ImageFormat);
    });
    return response;
  };
  const imageResource: ResourceWithOptions = {
    resource: new TypeormResource(Image, {
      delete: async (id) => {
        await images.removeById(id); // row and stored files; its links answer 404 from now on
      },
    }),
    options: {
      navigation: { name: 'Content', icon: 'Image' },
      titleProperty: 'id',
      sort: { sortBy: 'createdAt', direction: 'desc' },
      listProperties: ['previewUrl', 'title', 'ownerId', 'format', 'width', 'height', 'bytes', 'createdAt'],
      showProperties: [
        'previewUrl',
        'id',
        'title',
        'description',
        'ownerId',
        'format',
        'width',
        'height',
        'bytes',
        'createdAt',
      ],
      filterProperties: ['title', 'ownerId', 'format', 'createdAt'],
      properties: {
        previewUrl: {
          type: 'string',
          isSortable: false,
          components: { list: Components.ImageThumb, show: Components.ImageThumb },
        },
        ownerId: { reference: 'User' },
        format: {
          availableValues: [
            { value: 'png', label: 'PNG' },
            { value: 'jpeg', label: 'JPEG' },
          ],
        },
        description: { type: 'textarea' },
        bytes: { description: 'File size in bytes' },
      },
      actions: {
        ...NO_FORMS,
        list: { after: addPreview },
        show: { after: addPreview },
        delete: { guard: 'Delete this image? Its stored files go too and every link to it stops working.' },
        bulkDelete: { guard: 'Delete these images? Their stored files go too and every link to them stops working.' },
      },
    },
  };

  // ---------------------------------------------------------------- Expiring links (state, revoke)
  const addState = async (response: ActionResponse) => {
    const now = clock.now().getTime();
    await eachRecord(response, (r) => {
      if (!r.id) return;
      const expiresAt = r.params.expiresAt ? new Date(String(r.params.expiresAt)).getTime() : 0;
      r.params.state = r.params.revokedAt ? 'revoked' : expiresAt <= now ? 'expired' : 'active';
    });
    return response;
  };
  const linkResource: ResourceWithOptions = {
    resource: new TypeormResource(ExpiringLink),
    options: {
      navigation: { name: 'Content', icon: 'Link' },
      titleProperty: 'id',
      sort: { sortBy: 'createdAt', direction: 'desc' },
      listProperties: ['imageId', 'variant', 'state', 'expiresAt', 'createdById', 'createdAt'],
      showProperties: ['id', 'imageId', 'variant', 'state', 'expiresAt', 'revokedAt', 'createdById', 'createdAt'],
      filterProperties: ['imageId', 'variant', 'createdById', 'expiresAt', 'revokedAt', 'createdAt'],
      properties: {
        imageId: { reference: 'Image', ...READ_ONLY },
        createdById: { reference: 'User', ...READ_ONLY },
        state: {
          type: 'string',
          isSortable: false,
          components: { list: Components.LinkState, show: Components.LinkState },
        },
      },
      actions: {
        ...NO_FORMS,
        delete: { isAccessible: false, isVisible: false }, // revoke instead: the row is the audit trail
        bulkDelete: { isAccessible: false, isVisible: false },
        list: { after: addState },
        show: { after: addState },
        revoke: {
          actionType: 'record',
          icon: 'Slash',
          variant: 'danger',
          guard: 'Revoke this link? It stops working immediately.',
          component: false,
          isVisible: ({ record }) => !record?.params?.revokedAt,
          handler: async (request, _response, context) => {
            const { record, resource, currentAdmin, h } = context;
            if (!record) throw new NotFoundError('No such expiring link', 'revoke');
            // AdminJS runs component-less record actions with a GET, so this state change happens on a GET:
            // refuse requests a browser marks as coming from another site (SameSite=Lax cookies ride along
            // on top-level cross-site GETs).
            const site = headerOf(request, 'sec-fetch-site');
            if (site && site !== 'same-origin') {
              return {
                record: record.toJSON(currentAdmin),
                notice: { message: 'Cross-site request refused', type: 'error' },
              };
            }
            await expiringLinks.revoke(String(record.id()));
            const fresh = (await resource.findOne(String(record.id()), context)) ?? record;
            return {
              record: fresh.toJSON(currentAdmin),
              redirectUrl: h.resourceUrl({ resourceId: resource._decorated?.id() ?? resource.id() }),
              notice: { message: 'Link revoked', type: 'success' },
            };
          },
          after: addState,
        },
      },
    },
  };

  const all = [userResource, tierResource, sizeResource, imageResource, linkResource];
  // Whatever the action (custom ones included), and for referenced records too: strip the password hash from
  // what goes to the browser.
  for (const { options } of all) {
    const actions = (options.actions ??= {}) as Record<string, { after?: unknown }>;
    for (const name of new Set([...ALL_ACTIONS, ...Object.keys(actions)])) {
      const action = (actions[name] ??= {});
      const after = action.after ? (Array.isArray(action.after) ? action.after : [action.after]) : [];
      action.after = [...after, stripSecrets];
    }
  }
  return all;
}
