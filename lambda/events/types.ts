import type * as FusionAuth from '@fusionauth/typescript-client';

/**
 * Every event type FusionAuth documents, each mapped to the event interface that
 * `@fusionauth/typescript-client` publishes for it. Type-only: none of the client
 * reaches the Lambda bundle.
 */
export interface PassportEventMap {
  'audit-log.create': FusionAuth.AuditLogCreateEvent;
  'event-log.create': FusionAuth.EventLogCreateEvent;
  'kickstart.success': FusionAuth.KickstartSuccessEvent;
  test: FusionAuth.TestEvent;

  'jwt.public-key.update': FusionAuth.JWTPublicKeyUpdateEvent;
  'jwt.refresh': FusionAuth.JWTRefreshEvent;
  'jwt.refresh-token.revoke': FusionAuth.JWTRefreshTokenRevokeEvent;

  'entity.create': FusionAuth.EntityCreateEvent;
  'entity.create.complete': FusionAuth.EntityCreateCompleteEvent;
  'entity.delete': FusionAuth.EntityDeleteEvent;
  'entity.delete.complete': FusionAuth.EntityDeleteCompleteEvent;
  'entity.update': FusionAuth.EntityUpdateEvent;
  'entity.update.complete': FusionAuth.EntityUpdateCompleteEvent;

  'group.create': FusionAuth.GroupCreateEvent;
  'group.create.complete': FusionAuth.GroupCreateCompleteEvent;
  'group.delete': FusionAuth.GroupDeleteEvent;
  'group.delete.complete': FusionAuth.GroupDeleteCompleteEvent;
  'group.member.add': FusionAuth.GroupMemberAddEvent;
  'group.member.add.complete': FusionAuth.GroupMemberAddCompleteEvent;
  'group.member.remove': FusionAuth.GroupMemberRemoveEvent;
  'group.member.remove.complete': FusionAuth.GroupMemberRemoveCompleteEvent;
  'group.member.update': FusionAuth.GroupMemberUpdateEvent;
  'group.member.update.complete': FusionAuth.GroupMemberUpdateCompleteEvent;
  'group.update': FusionAuth.GroupUpdateEvent;
  'group.update.complete': FusionAuth.GroupUpdateCompleteEvent;

  'user.action': FusionAuth.UserActionEvent;
  'user.bulk.create': FusionAuth.UserBulkCreateEvent;
  'user.create': FusionAuth.UserCreateEvent;
  'user.create.complete': FusionAuth.UserCreateCompleteEvent;
  'user.deactivate': FusionAuth.UserDeactivateEvent;
  'user.delete': FusionAuth.UserDeleteEvent;
  'user.delete.complete': FusionAuth.UserDeleteCompleteEvent;
  'user.email.update': FusionAuth.UserEmailUpdateEvent;
  'user.email.verified': FusionAuth.UserEmailVerifiedEvent;
  'user.identity-provider.link': FusionAuth.UserIdentityProviderLinkEvent;
  'user.identity-provider.unlink': FusionAuth.UserIdentityProviderUnlinkEvent;
  'user.identity.update': FusionAuth.UserIdentityUpdateEvent;
  'user.identity.verified': FusionAuth.UserIdentityVerifiedEvent;
  'user.loginId.duplicate.create': FusionAuth.UserLoginIdDuplicateOnCreateEvent;
  'user.loginId.duplicate.update': FusionAuth.UserLoginIdDuplicateOnUpdateEvent;
  'user.login.failed': FusionAuth.UserLoginFailedEvent;
  'user.login.new-device': FusionAuth.UserLoginNewDeviceEvent;
  'user.login.success': FusionAuth.UserLoginSuccessEvent;
  'user.login.suspicious': FusionAuth.UserLoginSuspiciousEvent;
  'user.password.breach': FusionAuth.UserPasswordBreachEvent;
  'user.password.reset.send': FusionAuth.UserPasswordResetSendEvent;
  'user.password.reset.start': FusionAuth.UserPasswordResetStartEvent;
  'user.password.reset.success': FusionAuth.UserPasswordResetSuccessEvent;
  'user.password.update': FusionAuth.UserPasswordUpdateEvent;
  'user.reactivate': FusionAuth.UserReactivateEvent;
  'user.registration.create': FusionAuth.UserRegistrationCreateEvent;
  'user.registration.create.complete': FusionAuth.UserRegistrationCreateCompleteEvent;
  'user.registration.delete': FusionAuth.UserRegistrationDeleteEvent;
  'user.registration.delete.complete': FusionAuth.UserRegistrationDeleteCompleteEvent;
  'user.registration.update': FusionAuth.UserRegistrationUpdateEvent;
  'user.registration.update.complete': FusionAuth.UserRegistrationUpdateCompleteEvent;
  'user.registration.verified': FusionAuth.UserRegistrationVerifiedEvent;
  'user.two-factor.challenge': FusionAuth.UserTwoFactorChallengeEvent;
  'user.two-factor.failed-attempt': FusionAuth.UserTwoFactorFailedAttemptEvent;
  'user.two-factor.method.add': FusionAuth.UserTwoFactorMethodAddEvent;
  'user.two-factor.method.remove': FusionAuth.UserTwoFactorMethodRemoveEvent;
  'user.two-factor.success': FusionAuth.UserTwoFactorSuccessEvent;
  'user.update': FusionAuth.UserUpdateEvent;
  'user.update.complete': FusionAuth.UserUpdateCompleteEvent;
}

export type PassportEventType = keyof PassportEventMap;

/** The event of one type, its `type` narrowed to that literal: the union's discriminant. */
export type PassportEventOf<T extends PassportEventType> = Omit<PassportEventMap[T], 'type'> & {
  readonly type: T;
};

/** Any event FusionAuth documents, discriminated on `type`. */
export type PassportEvent = { [T in PassportEventType]: PassportEventOf<T> }[PassportEventType];

/** The same types at run time: a type FusionAuth documents is one of these; any other string is not. */
const KNOWN_TYPES = {
  'audit-log.create': true,
  'event-log.create': true,
  'kickstart.success': true,
  test: true,
  'jwt.public-key.update': true,
  'jwt.refresh': true,
  'jwt.refresh-token.revoke': true,
  'entity.create': true,
  'entity.create.complete': true,
  'entity.delete': true,
  'entity.delete.complete': true,
  'entity.update': true,
  'entity.update.complete': true,
  'group.create': true,
  'group.create.complete': true,
  'group.delete': true,
  'group.delete.complete': true,
  'group.member.add': true,
  'group.member.add.complete': true,
  'group.member.remove': true,
  'group.member.remove.complete': true,
  'group.member.update': true,
  'group.member.update.complete': true,
  'group.update': true,
  'group.update.complete': true,
  'user.action': true,
  'user.bulk.create': true,
  'user.create': true,
  'user.create.complete': true,
  'user.deactivate': true,
  'user.delete': true,
  'user.delete.complete': true,
  'user.email.update': true,
  'user.email.verified': true,
  'user.identity-provider.link': true,
  'user.identity-provider.unlink': true,
  'user.identity.update': true,
  'user.identity.verified': true,
  'user.loginId.duplicate.create': true,
  'user.loginId.duplicate.update': true,
  'user.login.failed': true,
  'user.login.new-device': true,
  'user.login.success': true,
  'user.login.suspicious': true,
  'user.password.breach': true,
  'user.password.reset.send': true,
  'user.password.reset.start': true,
  'user.password.reset.success': true,
  'user.password.update': true,
  'user.reactivate': true,
  'user.registration.create': true,
  'user.registration.create.complete': true,
  'user.registration.delete': true,
  'user.registration.delete.complete': true,
  'user.registration.update': true,
  'user.registration.update.complete': true,
  'user.registration.verified': true,
  'user.two-factor.challenge': true,
  'user.two-factor.failed-attempt': true,
  'user.two-factor.method.add': true,
  'user.two-factor.method.remove': true,
  'user.two-factor.success': true,
  'user.update': true,
  'user.update.complete': true,
} as const satisfies Record<PassportEventType, true>;

export const isPassportEventType = (type: string): type is PassportEventType => Object.hasOwn(KNOWN_TYPES, type);

// The map above must name exactly the types of FusionAuth's own `EventType` enum: a type
// the client adds (or drops) on upgrade fails compilation here until the map follows it.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type MapCoversEveryFusionAuthType = Assert<Same<PassportEventType, `${FusionAuth.EventType}`>>;
