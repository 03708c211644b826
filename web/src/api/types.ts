// Named shapes of the REST API, taken from the SDK's types generated from openapi.yaml (`npm run gen:api`).
import type { components } from '@scalechat/sdk'

type S = components['schemas']

export type User = S['User']
export type Session = S['Session']
export type Conversation = S['Conversation']
export type ConversationKind = Conversation['kind']
export type Member = S['Member']
export type Message = S['Message']
export type ChatEvent = S['Event']
export type EventType = ChatEvent['type']
export type Presence = S['Presence']
export type Problem = S['Problem']
export type ErrorCode = Problem['code']
export type Reaction = S['Reaction']
export type ReactionCount = S['ReactionCount']
export type Attachment = S['Attachment']
export type MessageAttachment = S['MessageAttachment']
export type NotifyLevel = NonNullable<Conversation['notifyLevel']>
export type ThreadInfo = S['ThreadInfo']
export type Thread = S['Thread']
export type SearchHit = S['SearchHit']
