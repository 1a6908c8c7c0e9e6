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

// The map above must name exactly the types of FusionAuth's own `EventType` enum: a type
// the client adds (or drops) on upgrade fails compilation here until the map follows it.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type MapCoversEveryFusionAuthType = Assert<Same<PassportEventType, `${FusionAuth.EventType}`>>;
