export interface paths {
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Liveness probe
         * @description Answers 200 while the process serves requests.
         */
        get: operations["healthz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Readiness probe
         * @description Pings every dependency (database, broker, ...): 200 when all answer, else 503 with the same body.
         */
        get: operations["readyz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/api-keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List API keys
         * @description Lists every API key, revoked ones included (admin keys only); never the keys themselves.
         */
        get: operations["listApiKeys"];
        put?: never;
        /**
         * Create an API key
         * @description Creates a server API key (admin keys only). Scope admin: the admin API. Scope bot: creates a bot user (shown with bot: true) that the key signs in as, on REST and Socket.IO, like a user's token. The key is in this response only.
         */
        post: operations["createApiKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/api-keys/{keyId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Revoke an API key
         * @description Revokes a key (admin keys only): it is refused from then on, and a bot key's sockets end. Revoking twice is harmless; a key cannot revoke itself (409).
         */
        delete: operations["revokeApiKey"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/audit-log": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Read the audit log
         * @description Lists administrative actions, newest first (admins only): every admin API change and every ban, mute and slow-mode change, by whoever made it. Posting and exporting through the admin API are not recorded.
         */
        get: operations["listAuditLog"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/conversations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Create a conversation for users
         * @description Creates a conversation as its owner, ownerId, with memberIds (admin keys only), as if the owner did: blocks apply, rate limits do not. A direct conversation that exists already is returned with status 200.
         */
        post: operations["adminCreateConversation"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/conversations/{conversationId}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Export a conversation
         * @description Returns every event of a conversation after a seq, dense and in order (admin keys only): page with next until it is absent to export the whole conversation.
         */
        get: operations["adminExportEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/conversations/{conversationId}/members": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Add members for users
         * @description Adds users to a group or channel (admins only), whoever its members are; bans apply.
         */
        post: operations["adminAddMembers"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/conversations/{conversationId}/members/{userId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Remove a member for users
         * @description Removes a member of a group or channel (admins only); not its last owner while others remain.
         */
        delete: operations["adminRemoveMember"];
        options?: never;
        head?: never;
        /**
         * Change a member's role for users
         * @description Gives a member of a group or channel a role (admins only); the last owner keeps theirs while others remain.
         */
        patch: operations["adminUpdateMember"];
        trace?: never;
    };
    "/v1/admin/conversations/{conversationId}/messages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Post as a user
         * @description Sends a message as senderId, a member (admin keys only), exactly as sendMessage does for them (statuses 201, 200 and 202 alike); rate limits do not apply.
         */
        post: operations["adminSendMessage"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/reports": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List reports
         * @description Lists reported messages, oldest first (admins only): the moderation queue is status=open.
         */
        get: operations["listReports"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/reports/{reportId}/close": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Close a report
         * @description Resolves (optionally deleting the message) or dismisses an open report (admins only); 409 when it is closed already.
         */
        post: operations["closeReport"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Create a user
         * @description Creates a user without a password (admin keys only): with externalSubject, the user whose application tokens carry that sub, created before their first sign-in so that conversations can be made for them.
         */
        post: operations["adminCreateUser"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/users/{userId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Change a user
         * @description Renames a user or gives or takes their system role admin (admins only).
         */
        patch: operations["adminUpdateUser"];
        trace?: never;
    };
    "/v1/admin/users/{userId}/deactivate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Deactivate a user
         * @description Deactivates a user (admin keys only): every sign-in of theirs is refused from then on — password, session, application token, bot key —, their sessions end and their sockets close on every node; their messages and memberships stay. Deactivating twice is harmless.
         */
        post: operations["adminDeactivateUser"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/users/{userId}/reactivate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Reactivate a user
         * @description Lifts a deactivation (admin keys only): the user can sign in again.
         */
        post: operations["adminReactivateUser"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/webhooks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List webhooks
         * @description Lists the webhooks (admins only), without their secrets.
         */
        get: operations["listWebhooks"];
        put?: never;
        /**
         * Create a webhook
         * @description Subscribes a URL to event types (admins only): every matching event appended from now on is POSTed to it, signed with the secret in this response (shown once), at least once, retried with exponential back-off.
         */
        post: operations["createWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/webhooks/{webhookId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Delete a webhook
         * @description Deletes a webhook and its delivery log (admins only); its pending deliveries are not sent.
         */
        delete: operations["deleteWebhook"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/webhooks/{webhookId}/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List deliveries
         * @description The delivery log of a webhook, newest first (admins only).
         */
        get: operations["listWebhookDeliveries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Redeliver
         * @description Sends a delivery again (admins only): a new pending delivery of the same body, due now.
         */
        post: operations["redeliverWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/attachments/{attachmentId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get an attachment's metadata
         * @description For members of the attachment's conversation; others get 404 (or 403 for a channel they have not joined), as for its history.
         */
        get: operations["getAttachment"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/attachments/{attachmentId}/content": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Download an attachment
         * @description The file's bytes, for members of its conversation, served with the sniffed Content-Type, as an attachment (Content-Disposition), with nosniff and a sandboxing CSP so that a browser never runs it as a page.
         */
        get: operations["downloadAttachment"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/attachments/{attachmentId}/thumbnail": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get an image attachment's thumbnail
         * @description A preview that fits 320×320, re-encoded by the server as JPEG (PNG for images with transparency). Attachments that are not images have none (404).
         */
        get: operations["getAttachmentThumbnail"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/blocks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List my blocks
         * @description Lists the users the caller blocks.
         */
        get: operations["listBlocks"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/blocks/{userId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Block a user
         * @description A blocked user cannot add the caller to a conversation, start a direct conversation with the caller or see the caller's presence. Blocking twice is harmless.
         */
        put: operations["blockUser"];
        post?: never;
        /**
         * Unblock a user
         * @description Lifts a block; lifting one that does not exist is harmless.
         */
        delete: operations["unblockUser"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/channels": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Browse channels
         * @description Lists public channels by title.
         */
        get: operations["listChannels"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/conversations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List my conversations
         * @description Lists the caller's conversations, most recently active first, each with its lastSeq, the caller's readSeq, unread count and last message.
         */
        get: operations["listConversations"];
        put?: never;
        /**
         * Create a conversation
         * @description Creates a direct conversation, group or channel. Creating a direct conversation that exists already returns it with status 200. A member who blocks the caller cannot be drawn in (403).
         */
        post: operations["createConversation"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/conversations/{conversationId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get a conversation
         * @description Returns a conversation the caller belongs to, or any channel.
         */
        get: operations["getConversation"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Update a conversation
         * @description Renames a group or channel or changes its topic (admins and owners).
         */
        patch: operations["updateConversation"];
        trace?: never;
    };
    "/v1/conversations/{conversationId}/attachments": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Upload an attachment
         * @description Uploads a file into a conversation the caller is a member of, as the raw request body with its name in `name`. The content type is sniffed from the bytes and must be allowed (images: PNG, JPEG, GIF, WebP; PDF; plain text; ZIP by default); a file whose extension contradicts its content (an HTML page named cat.png) is refused. Too large a file gets 413 `too_large`. Images get a thumbnail. The upload stays unattached (and is deleted after the orphan TTL) until a message links it. Rate limited (`upload`).
         */
        post: operations["uploadAttachment"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/conversations/{conversationId}/bans": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List bans
         * @description Lists a conversation's bans, expired ones included (its owners and admins, and system admins).
         */
        get: operations["listBans"];
        put?: never;
        /**
         * Ban a user
         * @description Bans a user from a group or channel (its owners and admins, over members they outrank; system admins, over anyone but owners): a member is removed at once; nobody banned can join or be added while the ban lasts. Banning again replaces the ban.
         */
        post: operations["banUser"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/conversations/{conversationId}/bans/{userId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Lift a ban
         * @description Lifts a ban: the user may join or be added again. 404 when there is none.
         */
        delete: operations["unbanUser"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/conversations/{conversationId}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Read events
         * @description Returns the conversation's events after a seq, dense and in order, to resume after a disconnect (members only).
         */
        get: operations["listEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/conversations/{conversationId}/join": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Join a channel
         * @description Makes the caller a member of a channel. Joining twice is harmless.
         */
        post: operations["joinConversation"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/conversations/{conversationId}/leave": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Leave a conversation
         * @description Removes the caller from a group or channel. Direct conversations cannot be left, and the last owner must hand ownership to another member first (409).
         */
        post: operations["leaveConversation"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/conversations/{conversationId}/members": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List members
         * @description Lists a conversation's members by user id (members only; anyone for a channel).
         */
        get: operations["listMembers"];
        put?: never;
        /**
         * Add members
         * @description Adds users to a group or channel (admins and owners). Returns the memberships created.
         */
        post: operations["addMembers"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/conversations/{conversationId}/members/{userId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Remove a member
         * @description Owners remove anyone, admins remove plain members. Removing oneself is leaving.
         */
        delete: operations["removeMember"];
        options?: never;
        head?: never;
        /**
         * Change a member's role
         * @description Sets a member's role (owners only); this is how ownership is handed over.
         */
        patch: operations["updateMember"];
        trace?: never;
    };
    "/v1/conversations/{conversationId}/members/{userId}/mute": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Mute a member
         * @description Keeps a member from sending and editing messages for a while (a member.updated event carries mutedUntil). Muting again sets a new end.
         */
        post: operations["muteMember"];
        /**
         * Unmute a member
         * @description Lets a muted member post again; harmless when they are not muted.
         */
        delete: operations["unmuteMember"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/conversations/{conversationId}/messages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Read history
         * @description Returns a page of messages in ascending seq order, tombstones included (members only).
         */
        get: operations["listMessages"];
        put?: never;
        /**
         * Send a message
         * @description Sends a message once it is durable. 201: stored with its seq. 200: a retry of a clientMsgId already stored; the original message. 202: durable but not yet sequenced; the message (seq 0) arrives as an event.
         */
        post: operations["sendMessage"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/conversations/{conversationId}/messages/{messageId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Delete a message
         * @description Turns a message into a tombstone and returns it: the caller's own, or anyone's for admins and owners. Deleting twice is harmless.
         */
        delete: operations["deleteMessage"];
        options?: never;
        head?: never;
        /**
         * Edit a message
         * @description Replaces the text of one of the caller's messages.
         */
        patch: operations["editMessage"];
        trace?: never;
    };
    "/v1/conversations/{conversationId}/messages/{messageId}/pin": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Pin a message
         * @description Pins a message: admins and owners of groups and channels, either member of a direct conversation. Pinning twice is harmless; at most 50 messages are pinned at once (409 beyond).
         */
        put: operations["pinMessage"];
        post?: never;
        /**
         * Unpin a message
         * @description Unpins a message (who may pin may unpin); unpinning one that is not pinned is harmless.
         */
        delete: operations["unpinMessage"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/conversations/{conversationId}/messages/{messageId}/reactions/{emoji}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * React to a message
         * @description Puts the caller's emoji on a message (members only) and returns the message's tallies; reacting twice with the same emoji is harmless. A message carries at most 20 different emoji, and one member at most 10 of them (409 beyond).
         */
        put: operations["addReaction"];
        post?: never;
        /**
         * Take back a reaction
         * @description Takes the caller's emoji off a message and returns the message's tallies; taking back one that is not there is harmless.
         */
        delete: operations["removeReaction"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/conversations/{conversationId}/messages/{messageId}/reports": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Report a message
         * @description Reports another member's message to the system's admins (once per message).
         */
        post: operations["reportMessage"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/conversations/{conversationId}/notifications": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Set my notification level
         * @description Sets what the caller wants to be told about in a conversation (all, mentions, none) and whether it is muted; returns the conversation as the caller sees it. Clients use it to decide what to badge and notify.
         */
        put: operations["setNotifications"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/conversations/{conversationId}/pins": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List pinned messages
         * @description Returns the conversation's pinned messages with their reactions (members only).
         */
        get: operations["listPins"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/conversations/{conversationId}/read": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Mark as read
         * @description Raises the caller's read position and tells the other members.
         */
        post: operations["markRead"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/conversations/{conversationId}/slow-mode": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Set slow mode
         * @description Sets the least time between two messages of a plain member of a group or channel (owners and admins are exempt); a faster send is refused with 429 and Retry-After. 0 turns it off. A conversation.updated event carries slowModeSeconds.
         */
        put: operations["setSlowMode"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/conversations/{conversationId}/threads/{rootId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get a thread
         * @description The thread's first message with its reply info, and the caller's state in it (members only).
         */
        get: operations["getThread"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/conversations/{conversationId}/threads/{rootId}/follow": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Follow a thread
         * @description Follows the thread: it is listed in GET /v1/threads with its unread replies.
         */
        put: operations["followThread"];
        post?: never;
        /**
         * Unfollow a thread
         * @description Stops following the thread until the caller replies in it or follows it again.
         */
        delete: operations["unfollowThread"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/conversations/{conversationId}/threads/{rootId}/messages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Read a thread
         * @description Returns a page of the thread's replies in ascending seq order, paged like the conversation's history (members only).
         */
        get: operations["listThreadMessages"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/conversations/{conversationId}/threads/{rootId}/read": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Mark a thread as read
         * @description Raises the caller's read position in the thread (a conversation seq, at most its lastSeq; never backwards).
         */
        post: operations["markThreadRead"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/mentions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * My mentions
         * @description The inbox of messages that mention the caller (@username, @channel, @here) in the caller's conversations, newest first.
         */
        get: operations["listMentions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/presence": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get presence
         * @description Returns whether each user is online (has a live Socket.IO connection) and when they were last seen. A user who shares no direct or group conversation with the caller, or who blocks the caller, is shown offline with no lastSeenAt, like an unknown user (unless the server runs with --presence-visibility everyone).
         */
        get: operations["getPresence"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/search": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Search messages
         * @description Finds the messages of the conversations the caller is a member of now whose text matches q, newest first. Deleted messages are never found, edited ones by their current text. Counts against the search rate limit.
         */
        get: operations["searchMessages"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sessions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Log in
         * @description Checks a username and password and returns a bearer token for the Authorization header.
         */
        post: operations["createSession"];
        /**
         * Log out everywhere
         * @description Revokes every token of the current user, this one included, and ends their real-time connections on every node.
         */
        delete: operations["deleteAllSessions"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sessions/current": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Log out
         * @description Revokes the token this request presents.
         */
        delete: operations["deleteCurrentSession"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/threads": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * My threads
         * @description The threads the caller follows in the caller's conversations, most recent reply first, with unread counts.
         */
        get: operations["listThreads"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Search users
         * @description Finds users by username prefix or display name, ordered by username.
         */
        get: operations["searchUsers"];
        put?: never;
        /**
         * Register an account
         * @description Creates an account. Log in with createSession afterwards.
         */
        post: operations["registerUser"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get the current user
         * @description Returns the user the token belongs to.
         */
        get: operations["getMe"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users/me/password": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Change the password
         * @description Sets a new password once the current one is proven. Every other session of the user is revoked (and its real-time connections end); the token of this request stays valid.
         */
        put: operations["changePassword"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users/{userId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get a user
         * @description Returns a user by id.
         */
        get: operations["getUser"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        APIKey: {
            /** @description Scope bot: the bot user the key acts as. */
            botUserId?: string;
            /**
             * Format: date-time
             * @description When the key was created (RFC 3339, UTC).
             */
            createdAt: string;
            /** @description Key id: the part of the key after sck_ and before the next _. */
            id: string;
            /** @description What the key is for. */
            name: string;
            /**
             * Format: date-time
             * @description When the key was revoked; absent while it works.
             */
            revokedAt?: string;
            /**
             * @description admin: the admin API; bot: acts as its bot user on the user API.
             * @enum {string}
             */
            scope: "admin" | "bot";
        };
        APIKeyList: {
            /** @description Keys, ordered by id, revoked ones included. */
            items: components["schemas"]["APIKey"][];
            /** @description Cursor of the next page; absent on the last page. */
            next?: string;
        };
        Actor: {
            /** @description The user id, the API key id, or the operator's operating-system user name. */
            id: string;
            /**
             * @description user: a user (a conversation's moderator or a system admin); api_key: an admin API key; operator: someone who ran a scalechat command on the storage (scalechat apikey).
             * @enum {string}
             */
            type: "user" | "api_key" | "operator";
        };
        AddMembersRequest: {
            /** @description User ids to add; those who are members already are skipped. */
            userIds: string[];
        };
        AddedMembers: {
            /** @description The members added (those who were members already are not listed). */
            items: components["schemas"]["Member"][];
        };
        AdminAddMembersRequest: {
            /** @description Users to add; members already are skipped. */
            userIds: string[] | null;
        };
        AdminCreateConversationRequest: {
            /**
             * @description direct: exactly one other member in memberIds; group: private; channel: public.
             * @enum {string}
             */
            kind: "direct" | "group" | "channel";
            /** @description User ids of the other members; the caller is always one. Absent means none. */
            memberIds?: string[];
            /** @description The user the conversation is created as: its owner (a plain member of a direct conversation). */
            ownerId: string;
            /** @description Required for groups and channels; not allowed for direct conversations. */
            title?: string;
            /** @description Optional; not allowed for direct conversations. */
            topic?: string;
        };
        AdminCreateUserRequest: {
            /** @description Name shown to others (default the username). */
            displayName?: string;
            /** @description The sub of this user's application tokens: their first token signs them in as this user. Needs --jwt-secret or --jwt-jwks-url. */
            externalSubject?: string;
            /** @description 3 to 32 of a-z, 0-9, '_', '.', '-' (upper case is lowered). */
            username: string;
        };
        AdminSendMessageRequest: {
            /** @description Ids of the caller's uploads to this conversation (POST .../attachments) that the message carries; each may belong to one message only. */
            attachmentIds?: string[] | null;
            /** @description Text, 1 to 4000 characters, not only white space. */
            body: string;
            /**
             * @description Idempotency key chosen by the client: a retry with the same key returns the original message. Generated (no idempotency) when absent.
             * @example web-1718000000000-1
             */
            clientMsgId?: string;
            /** @description Id of a message of the same conversation this one replies to. */
            replyTo?: string;
            /** @description The member the message is sent as. */
            senderId: string;
            /** @description Reply in the thread of this top-level message of the conversation; the sender follows the thread. */
            threadRootId?: string;
        };
        AdminUpdateUserRequest: {
            /** @description Give (true) or take (false) the system role admin. Bots cannot be admins; nobody takes their own. */
            admin?: boolean;
            /** @description A new display name. */
            displayName?: string;
        };
        Attachment: {
            /**
             * @description The type sniffed from the bytes (never the client's claim); downloads are served with it.
             * @example image/png
             */
            contentType: string;
            /** @description The conversation it was uploaded into; only its members can read it. */
            conversationId: string;
            /**
             * Format: date-time
             * @description When it was uploaded (RFC 3339, UTC).
             */
            createdAt: string;
            /**
             * Format: int64
             * @description Image height in pixels; absent for other files.
             */
            height?: number;
            /** @description Attachment id. */
            id: string;
            /** @description The message it is attached to; absent until one is. Unattached uploads are deleted after the orphan TTL (24 h by default). */
            messageId?: string;
            /** @description The file name, sanitized: no path, no control or bidirectional characters, at most 200 bytes. */
            name: string;
            /**
             * Format: int64
             * @description Size in bytes.
             */
            size: number;
            /** @description Whether GET /v1/attachments/{attachmentId}/thumbnail has a preview (images). */
            thumbnail: boolean;
            /** @description Who uploaded it. */
            uploaderId: string;
            /**
             * Format: int64
             * @description Image width in pixels; absent for other files.
             */
            width?: number;
        };
        AuditEntry: {
            /** @description What was done: api_key.create, api_key.revoke, user.create, user.update, user.deactivate, user.reactivate, conversation.create, conversation.members_add, conversation.member_role, conversation.member_remove, conversation.ban, conversation.unban, conversation.slow_mode, member.mute, member.unmute, report.resolve, report.dismiss, webhook.create, webhook.delete, webhook.redeliver. */
            action: string;
            /** @description Who did it. */
            actor: components["schemas"]["Actor"];
            /**
             * Format: date-time
             * @description When (RFC 3339, UTC).
             */
            at: string;
            /** @description The conversation concerned, when one is. */
            conversationId?: string;
            /** @description What else the action said (reason, durationSeconds, expiresAt, admin, displayName, ...). */
            details?: {
                [key: string]: string;
            };
            /** @description Entry id (UUIDv7: ordered by time). */
            id: string;
            /** @description The id of what it was done to (for member, the user id). */
            targetId: string;
            /**
             * @description What kind of thing it was done to.
             * @enum {string}
             */
            targetType: "user" | "conversation" | "member" | "api_key" | "report";
        };
        AuditLog: {
            /** @description Entries, newest first. */
            items: components["schemas"]["AuditEntry"][];
            /** @description Cursor of the next page; absent on the last page. */
            next?: string;
        };
        Ban: {
            /** @description Who banned them. */
            bannedBy: components["schemas"]["Actor"];
            /** @description Conversation id. */
            conversationId: string;
            /**
             * Format: date-time
             * @description When (RFC 3339, UTC).
             */
            createdAt: string;
            /**
             * Format: date-time
             * @description When the ban ends; absent: until it is lifted.
             */
            expiresAt?: string;
            /** @description Why (empty when none was given). */
            reason: string;
            /** @description The banned user. */
            userId: string;
        };
        BanList: {
            /** @description Bans by user id, expired ones included. */
            items: components["schemas"]["Ban"][];
            /** @description Cursor of the next page; absent on the last page. */
            next?: string;
        };
        BanRequest: {
            /**
             * Format: int64
             * @description How long the ban lasts; 0 or absent: until it is lifted.
             */
            durationSeconds?: number;
            /** @description Why, for the audit log and the other moderators (at most 500 characters). */
            reason?: string;
            /** @description The user to ban: a member (removed at once) or anyone else (kept out). */
            userId: string;
        };
        Block: {
            /**
             * Format: date-time
             * @description When the block was made (RFC 3339, UTC).
             */
            createdAt: string;
            /** @description The blocked user. */
            userId: string;
        };
        BlockList: {
            /** @description Blocked users, ordered by user id. */
            items: components["schemas"]["Block"][];
            /** @description Cursor of the next page; absent on the last page. */
            next?: string;
        };
        ChannelList: {
            /** @description Channels, ordered by title. */
            items: components["schemas"]["Conversation"][];
            /** @description Cursor of the next page; absent on the last page. */
            next?: string;
        };
        CloseReportRequest: {
            /** @description Resolved only: delete the reported message too (it becomes a tombstone for every member). */
            deleteMessage?: boolean;
            /** @description The admin's note (at most 500 characters). */
            note?: string;
            /**
             * @description resolved: acted upon; dismissed: nothing wrong found.
             * @enum {string}
             */
            status: "resolved" | "dismissed";
        };
        Conversation: {
            /**
             * Format: date-time
             * @description When the conversation was created (RFC 3339, UTC).
             */
            createdAt: string;
            /** @description Conversation id. */
            id: string;
            /**
             * @description direct: exactly two members; group: private, invite-only; channel: public, anyone may join.
             * @enum {string}
             */
            kind: "direct" | "group" | "channel";
            /**
             * Format: date-time
             * @description When its latest event happened (RFC 3339, UTC).
             */
            lastActivityAt: string;
            /** @description The latest message, when there is one and the caller is a member. */
            lastMessage?: components["schemas"]["Message"];
            /**
             * Format: int64
             * @description Seq of the conversation's latest event (0 when none).
             */
            lastSeq: number;
            /**
             * Format: int64
             * @description Of the unread messages, those that mention the caller (@username, @channel, @here); 0 when not a member.
             */
            mentions: number;
            /** @description The caller muted the conversation (no notifications, whatever the level). */
            muted?: boolean;
            /**
             * Format: date-time
             * @description A moderator muted the caller here: they may not send or edit before then; absent when not muted.
             */
            mutedUntil?: string;
            /**
             * @description What the caller wants to be told about here: every message, mentions only, or nothing; absent when not a member.
             * @enum {string}
             */
            notifyLevel?: "all" | "mentions" | "none";
            /**
             * Format: int64
             * @description The caller's read position (0 when not a member).
             */
            readSeq: number;
            /**
             * @description The caller's role; absent when not a member.
             * @enum {string}
             */
            role?: "owner" | "admin" | "member";
            /**
             * Format: int64
             * @description Slow mode: the least seconds between two messages of a plain member (owners and admins are exempt); 0 when off.
             */
            slowModeSeconds: number;
            /** @description Title; for a direct conversation, the other member's display name. */
            title: string;
            /** @description Topic; empty when unset. */
            topic: string;
            /**
             * Format: int64
             * @description Messages after readSeq sent by others and not deleted (0 when not a member).
             */
            unread: number;
        };
        ConversationList: {
            /** @description Conversations, most recently active first. */
            items: components["schemas"]["Conversation"][];
            /** @description Cursor of the next page; absent on the last page. */
            next?: string;
        };
        CreateAPIKeyRequest: {
            /** @description Scope bot: its display name (default the username). */
            botDisplayName?: string;
            /** @description Scope bot: the username of the bot user created with the key. */
            botUsername?: string;
            /** @description What the key is for. */
            name: string;
            /**
             * @description admin or bot.
             * @enum {string}
             */
            scope: "admin" | "bot";
        };
        CreateConversationRequest: {
            /**
             * @description direct: exactly one other member in memberIds; group: private; channel: public.
             * @enum {string}
             */
            kind: "direct" | "group" | "channel";
            /** @description User ids of the other members; the caller is always one. Absent means none. */
            memberIds?: string[];
            /** @description Required for groups and channels; not allowed for direct conversations. */
            title?: string;
            /** @description Optional; not allowed for direct conversations. */
            topic?: string;
        };
        CreateWebhookRequest: {
            /** @description What it is for. */
            description?: string;
            /** @description Event types to deliver (message.created, member.joined, ...), or ["*"] for every one. */
            events: string[] | null;
            /** @description An http or https URL that receives a POST per event. */
            url: string;
        };
        CreatedAPIKey: {
            apiKey: components["schemas"]["APIKey"];
            /** @description Scope bot: the bot user created with the key. */
            bot?: components["schemas"]["User"];
            /** @description The key, sent as Authorization: Bearer <key> (or as the Socket.IO auth token of a bot). Shown only in this response: only a hash of it is stored. */
            key: string;
        };
        CreatedWebhook: {
            /** @description The signing secret: each delivery's Scalechat-Webhook-Signature is v1=hex(HMAC-SHA256(secret, timestamp + "." + body)). Shown only in this response. */
            secret: string;
            webhook: components["schemas"]["Webhook"];
        };
        EditMessageRequest: {
            /** @description New text, 1 to 4000 characters. */
            body: string;
        };
        Event: {
            /** @description User id of who made the change; empty when an admin API key made it. */
            actorId: string;
            /**
             * Format: date-time
             * @description When it happened (RFC 3339, UTC).
             */
            at: string;
            /** @description Conversation id. */
            conversationId: string;
            /** @description The state after the change. */
            data: components["schemas"]["EventData"];
            /**
             * Format: int64
             * @description Position in the conversation's sequence (1, 2, 3, ...).
             */
            seq: number;
            /**
             * @description What changed.
             * @enum {string}
             */
            type: "message.created" | "message.edited" | "message.deleted" | "message.pinned" | "message.unpinned" | "reaction.added" | "reaction.removed" | "member.joined" | "member.updated" | "member.left" | "conversation.updated";
        };
        EventData: {
            /** @description For conversation.updated. */
            conversation?: components["schemas"]["Conversation"];
            /** @description For member.joined, member.updated and member.left. */
            member?: components["schemas"]["Member"];
            /** @description For message.created, message.edited, message.deleted, message.pinned and message.unpinned. */
            message?: components["schemas"]["Message"];
            /** @description For reaction.added and reaction.removed (the reaction taken back). */
            reaction?: components["schemas"]["Reaction"];
        };
        EventList: {
            /** @description Events in ascending, dense seq order. */
            items: components["schemas"]["Event"][];
            /** @description Seq to pass as 'after' for the next page; absent when caught up. */
            next?: string;
        };
        FieldError: {
            /**
             * @description Where the problem is: body.<field>, query.<name>, path.<name> or header.<name>.
             * @example body.username
             */
            location?: string;
            /** @description What is wrong with it. */
            message: string;
        };
        Health: {
            /**
             * @description Always ok: the process serves requests.
             * @enum {string}
             */
            status: "ok";
        };
        LoginRequest: {
            password: string;
            /** @example alice */
            username: string;
        };
        MarkReadRequest: {
            /**
             * Format: int64
             * @description Seq read up to, at most the conversation's lastSeq. Read positions never move backwards.
             */
            seq: number;
        };
        Member: {
            /** @description Conversation id. */
            conversationId: string;
            /**
             * Format: date-time
             * @description When the user joined (RFC 3339, UTC).
             */
            joinedAt: string;
            /**
             * Format: date-time
             * @description A moderator muted the member: they may not send or edit messages before then (RFC 3339, UTC); absent when not muted.
             */
            mutedUntil?: string;
            /**
             * Format: int64
             * @description The member's read position.
             */
            readSeq: number;
            /**
             * @description owner: everything; admin: manage members and settings; member: read and write.
             * @enum {string}
             */
            role: "owner" | "admin" | "member";
            /** @description User id. */
            userId: string;
        };
        MemberList: {
            /** @description Members, ordered by user id. */
            items: components["schemas"]["Member"][];
            /** @description Cursor of the next page; absent on the last page. */
            next?: string;
        };
        MentionList: {
            /** @description Messages that mention the caller in the conversations the caller belongs to, newest first; deleted ones and the caller's own are left out. */
            items: components["schemas"]["Message"][];
            /** @description Cursor of the next page; absent on the last page. */
            next?: string;
        };
        Message: {
            /** @description The files it carries, in the order sent; download each from /v1/attachments/{id}/content (members only). */
            attachments?: components["schemas"]["MessageAttachment"][] | null;
            /** @description Text, 1 to 4000 characters; empty for a deleted message. */
            body: string;
            /** @description The sender's idempotency key. */
            clientMsgId: string;
            /** @description Conversation id. */
            conversationId: string;
            /**
             * Format: date-time
             * @description When it was sent (RFC 3339, UTC).
             */
            createdAt: string;
            /**
             * Format: date-time
             * @description When it was deleted (RFC 3339, UTC).
             */
            deletedAt?: string;
            /**
             * Format: date-time
             * @description When it was last edited (RFC 3339, UTC).
             */
            editedAt?: string;
            /** @description Message id (UUIDv7). */
            id: string;
            /**
             * @description channel: it mentions every member (@channel); here: it said @here (those then online are in mentions).
             * @enum {string}
             */
            mentionAll?: "channel" | "here";
            /** @description Ids of the users it mentions: each @username of an existing user, and with @here the members online when it was sent. */
            mentions?: string[] | null;
            /**
             * Format: date-time
             * @description When it was pinned, while it is pinned (RFC 3339, UTC).
             */
            pinnedAt?: string;
            /** @description User id of who pinned it, while it is pinned. */
            pinnedBy?: string;
            /** @description Emoji tallies, in order of each emoji's first reaction, as the caller sees them: in history pages and pin lists; absent in events (reaction.added and reaction.removed events change them). */
            reactions?: components["schemas"]["ReactionCount"][] | null;
            /** @description Id of the message this one replies to. */
            replyTo?: string;
            /** @description User id of the sender. */
            senderId: string;
            /**
             * Format: int64
             * @description Seq of its message.created event; 0 while a send is only accepted (202).
             */
            seq: number;
            /** @description For a message that has replies: what its thread holds (history pages, pins, threads); absent in events. */
            thread?: components["schemas"]["ThreadInfo"];
            /** @description For a reply in a thread: the thread's first (top-level) message. Replies stay out of the conversation's history and unread count. */
            threadRootId?: string;
        };
        MessageAttachment: {
            /** @description Type sniffed from the bytes. */
            contentType: string;
            /**
             * Format: int64
             * @description Image height in pixels.
             */
            height?: number;
            /** @description Attachment id. */
            id: string;
            /** @description Sanitized file name. */
            name: string;
            /**
             * Format: int64
             * @description Size in bytes.
             */
            size: number;
            /** @description A preview exists at /v1/attachments/{id}/thumbnail. */
            thumbnail?: boolean;
            /**
             * Format: int64
             * @description Image width in pixels.
             */
            width?: number;
        };
        MessageList: {
            /** @description Messages (tombstones included) in ascending seq order. */
            items: components["schemas"]["Message"][];
            /** @description Seq to pass as 'before' (when paging backwards) or 'after' (when paging forwards) for the next page; absent when there is no more. */
            next?: string;
        };
        MuteRequest: {
            /**
             * Format: int64
             * @description How long the member may not send or edit messages (at most 28 days).
             */
            durationSeconds: number;
            /** @description Why, for the audit log (at most 500 characters). */
            reason?: string;
        };
        NotificationsRequest: {
            /**
             * @description all: every message; mentions: only messages that mention me; none: nothing.
             * @enum {string}
             */
            level: "all" | "mentions" | "none";
            /** @description Mute the conversation: no notifications whatever the level (default false). */
            muted?: boolean;
        };
        PasswordChange: {
            /** @description The password in use now. */
            currentPassword: string;
            /** @description 8 to 256 characters. */
            newPassword: string;
        };
        PinList: {
            /** @description Pinned messages, most recently pinned first (at most 50). */
            items: components["schemas"]["Message"][];
        };
        Presence: {
            /**
             * Format: date-time
             * @description When the user was last seen connected (RFC 3339, UTC); absent when never.
             */
            lastSeenAt?: string;
            /**
             * @description online while the user has a live real-time connection.
             * @enum {string}
             */
            status: "online" | "offline";
            /** @description User id. */
            userId: string;
        };
        PresenceList: {
            /** @description One entry per user asked about. */
            items: components["schemas"]["Presence"][];
        };
        Problem: {
            /**
             * @description Error category, from a closed set; branch on this, not on the text.
             * @enum {string}
             */
            code: "invalid_argument" | "unauthenticated" | "permission_denied" | "not_found" | "already_exists" | "conflict" | "rate_limited" | "too_large" | "unavailable" | "internal";
            /**
             * @description What went wrong in this occurrence, safe to show to users.
             * @example username must be 3 to 32 characters
             */
            detail?: string;
            /** @description The offending inputs, when known. */
            errors?: components["schemas"]["FieldError"][];
            /**
             * Format: int64
             * @description For rate_limited: milliseconds to wait before retrying (also sent as the Retry-After header, in seconds).
             */
            retryAfterMs?: number;
            /**
             * Format: int64
             * @description The HTTP status code.
             * @example 400
             */
            status: number;
            /**
             * @description Short summary of the problem: the text of the HTTP status.
             * @example Bad Request
             */
            title: string;
        };
        Reaction: {
            /**
             * @description The emoji.
             * @example 👍
             */
            emoji: string;
            /** @description Message id. */
            messageId: string;
            /** @description User id of who reacted. */
            userId: string;
        };
        ReactionCount: {
            /**
             * Format: int64
             * @description How many members reacted with it.
             */
            count: number;
            /**
             * @description The emoji (shortcodes are stored as their emoji).
             * @example 👍
             */
            emoji: string;
            /** @description Whether the caller is one of them. */
            me: boolean;
        };
        Reactions: {
            /** @description The message's tallies as the caller sees them, in order of each emoji's first reaction. */
            items: components["schemas"]["ReactionCount"][];
        };
        ReadState: {
            /**
             * Format: int64
             * @description The resulting read position.
             */
            readSeq: number;
        };
        Readiness: {
            /** @description Per dependency: ok, or why it is not usable. */
            checks: {
                [key: string]: string;
            };
            /**
             * @description ok when every dependency answered.
             * @enum {string}
             */
            status: "ok" | "unavailable";
        };
        RegisterRequest: {
            /**
             * @description Name shown to others; defaults to the username.
             * @example Alice Liddell
             */
            displayName?: string;
            /** @description 8 to 256 characters. */
            password: string;
            /**
             * @description 3 to 32 of a-z, 0-9, '_', '.', '-' (upper case is lowered).
             * @example alice
             */
            username: string;
        };
        Report: {
            /** @description Conversation of the message. */
            conversationId: string;
            /**
             * Format: date-time
             * @description When (RFC 3339, UTC).
             */
            createdAt: string;
            /** @description Report id (UUIDv7). */
            id: string;
            /** @description The reported message. */
            messageId: string;
            /** @description Why (empty when none was given). */
            reason: string;
            /** @description Who reported it. */
            reporterId: string;
            /** @description The admin's note. */
            resolution?: string;
            /**
             * Format: date-time
             * @description When it was closed.
             */
            resolvedAt?: string;
            /** @description The admin who closed it. */
            resolvedBy?: components["schemas"]["Actor"];
            /**
             * @description open: waiting for an admin; resolved: acted upon; dismissed: nothing wrong found.
             * @enum {string}
             */
            status: "open" | "resolved" | "dismissed";
        };
        ReportList: {
            /** @description Reports, oldest first. */
            items: components["schemas"]["Report"][];
            /** @description Cursor of the next page; absent on the last page. */
            next?: string;
        };
        ReportRequest: {
            /** @description What is wrong with it (at most 500 characters). */
            reason?: string;
        };
        SearchHit: {
            /** @description The message's body with every matched word between the characters U+0002 (start) and U+0003 (end), which a body never holds. Adjacent matched words may share one pair. */
            highlight: string;
            /** @description The message, as history returns it. */
            message: components["schemas"]["Message"];
        };
        SearchResults: {
            /** @description Matching messages, newest first (creation time, then id). */
            items: components["schemas"]["SearchHit"][];
            /** @description Cursor of the next page; absent on the last page. */
            next?: string;
        };
        SendMessageRequest: {
            /** @description Ids of the caller's uploads to this conversation (POST .../attachments) that the message carries; each may belong to one message only. */
            attachmentIds?: string[] | null;
            /** @description Text, 1 to 4000 characters, not only white space. */
            body: string;
            /**
             * @description Idempotency key chosen by the client: a retry with the same key returns the original message. Generated (no idempotency) when absent.
             * @example web-1718000000000-1
             */
            clientMsgId?: string;
            /** @description Id of a message of the same conversation this one replies to. */
            replyTo?: string;
            /** @description Reply in the thread of this top-level message of the conversation; the sender follows the thread. */
            threadRootId?: string;
        };
        Session: {
            /**
             * Format: date-time
             * @description When the token stops working (RFC 3339, UTC).
             */
            expiresAt: string;
            /** @description Bearer token for the Authorization header. Keep it secret. */
            token: string;
            /** @description The logged-in user. */
            user: components["schemas"]["User"];
        };
        SlowModeRequest: {
            /**
             * Format: int64
             * @description The least seconds between two messages of a plain member; 0 turns slow mode off.
             */
            seconds: number;
        };
        Thread: {
            /** @description Whether the caller follows the thread (replying follows it; so does having one's message replied to, unless unfollowed). */
            following: boolean;
            /**
             * Format: int64
             * @description The caller's read position in the thread (a conversation seq).
             */
            readSeq: number;
            /** @description The thread's first message, with its reply info. */
            root: components["schemas"]["Message"];
            /**
             * Format: int64
             * @description Replies after readSeq by others, not deleted (in GET /v1/threads).
             */
            unread: number;
        };
        ThreadInfo: {
            /**
             * Format: date-time
             * @description When the latest reply was sent (RFC 3339, UTC).
             */
            lastReplyAt: string;
            /** @description Ids of those who replied, ascending. */
            participants: string[];
            /**
             * Format: int64
             * @description How many replies it has.
             */
            replyCount: number;
        };
        ThreadList: {
            /** @description Followed threads of the caller's conversations, most recent reply first. */
            items: components["schemas"]["Thread"][];
            /** @description Cursor of the next page; absent on the last page. */
            next?: string;
            /**
             * Format: int64
             * @description How many of the caller's followed threads (all pages) have unread replies.
             */
            unreadThreads: number;
        };
        ThreadState: {
            /** @description Whether the caller follows the thread. */
            following: boolean;
            /**
             * Format: int64
             * @description The caller's read position in the thread.
             */
            readSeq: number;
        };
        UpdateConversationRequest: {
            /** @description New title. */
            title?: string;
            /** @description New topic; empty clears it. */
            topic?: string;
        };
        UpdateMemberRequest: {
            /**
             * @description The new role. Make another member owner before stepping down as the last owner.
             * @enum {string}
             */
            role: "owner" | "admin" | "member";
        };
        User: {
            /** @description The system role admin: uses the admin API with their own sign-in and moderates every conversation. */
            admin: boolean;
            /** @description A bot account: it acts through an API key of scope bot. */
            bot: boolean;
            /**
             * Format: date-time
             * @description When the account was created (RFC 3339, UTC).
             */
            createdAt: string;
            /**
             * Format: date-time
             * @description When an admin deactivated the account (it cannot sign in; its messages stay); absent while it is active.
             */
            deactivatedAt?: string;
            /**
             * @description Name shown to others.
             * @example Alice Liddell
             */
            displayName: string;
            /**
             * @description User id.
             * @example 0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b
             */
            id: string;
            /**
             * @description Unique, lowercase [a-z0-9_.-]{3,32}.
             * @example alice
             */
            username: string;
        };
        UserList: {
            /** @description Users, ordered by username. */
            items: components["schemas"]["User"][];
            /** @description Cursor of the next page; absent on the last page. */
            next?: string;
        };
        Webhook: {
            /**
             * Format: date-time
             * @description When it was created (RFC 3339, UTC).
             */
            createdAt: string;
            /** @description What it is for. */
            description?: string;
            /** @description The event types delivered ("*": every one). */
            events: string[];
            /** @description Webhook id. */
            id: string;
            /** @description Where deliveries are POSTed. */
            url: string;
        };
        WebhookDelivery: {
            /**
             * Format: int64
             * @description Attempts made.
             */
            attempts: number;
            /** @description The event's conversation. */
            conversationId: string;
            /**
             * Format: date-time
             * @description When the delivery was made (RFC 3339, UTC).
             */
            createdAt: string;
            /**
             * Format: date-time
             * @description When the receiver answered 2xx.
             */
            deliveredAt?: string;
            /** @description The event's type. */
            eventType: string;
            /** @description Delivery id (UUIDv7), sent as Scalechat-Delivery-Id. */
            id: string;
            /**
             * Format: date-time
             * @description When the last attempt ended.
             */
            lastAttemptAt?: string;
            /** @description Why the last attempt failed. */
            lastError?: string;
            /**
             * Format: int64
             * @description The HTTP status of the last attempt; absent when there was no answer.
             */
            lastStatus?: number;
            /**
             * Format: date-time
             * @description Pending: when the next attempt is due.
             */
            nextAttemptAt?: string;
            /** @description A manual redelivery: the delivery it repeats. */
            redeliveryOf?: string;
            /**
             * Format: int64
             * @description The event's seq: with conversationId, what a receiver dedupes on.
             */
            seq: number;
            /**
             * @description pending: waiting for an attempt; delivered: answered 2xx; failed: retried for the whole retry period without success.
             * @enum {string}
             */
            status: "pending" | "delivered" | "failed";
            /** @description Webhook id. */
            webhookId: string;
        };
        WebhookDeliveryList: {
            /** @description Deliveries, newest first. */
            items: components["schemas"]["WebhookDelivery"][];
            /** @description Cursor of the next page; absent on the last page. */
            next?: string;
        };
        WebhookList: {
            /** @description Webhooks by id. */
            items: components["schemas"]["Webhook"][];
            /** @description Cursor of the next page; absent on the last page. */
            next?: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    healthz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    readyz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Readiness"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is not usable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Readiness"];
                };
            };
        };
    };
    listApiKeys: {
        parameters: {
            query?: {
                /** @description The next value of the previous page; omit for the first page. */
                cursor?: string;
                /** @description Page size (default 50). */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["APIKeyList"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createApiKey: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateAPIKeyRequest"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CreatedAPIKey"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflicts with the current state (code already_exists or conflict). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The request body or the uploaded file is too large (code too_large). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    revokeApiKey: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Key id. */
                keyId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["APIKey"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflicts with the current state (code already_exists or conflict). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listAuditLog: {
        parameters: {
            query?: {
                /** @description Only entries of this action. */
                action?: string;
                /** @description Only entries by this user or API key id. */
                actorId?: string;
                /** @description Only entries about this target id. */
                targetId?: string;
                /** @description Only entries about this conversation. */
                conversationId?: string;
                /** @description The next value of the previous page; omit for the first page. */
                cursor?: string;
                /** @description Page size (default 50). */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuditLog"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    adminCreateConversation: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AdminCreateConversationRequest"];
            };
        };
        responses: {
            /** @description The direct conversation existed already. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Conversation"];
                };
            };
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Conversation"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The request body or the uploaded file is too large (code too_large). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    adminExportEvents: {
        parameters: {
            query?: {
                /** @description Return the events after this seq (exclusive); 0 from the start. */
                after?: number;
                /** @description Page size (default 100). */
                limit?: number;
            };
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EventList"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    adminAddMembers: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AdminAddMembersRequest"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AddedMembers"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflicts with the current state (code already_exists or conflict). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The request body or the uploaded file is too large (code too_large). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    adminRemoveMember: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
                /** @description User id of the member. */
                userId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description No Content */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflicts with the current state (code already_exists or conflict). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    adminUpdateMember: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
                /** @description User id of the member. */
                userId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateMemberRequest"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Member"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflicts with the current state (code already_exists or conflict). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The request body or the uploaded file is too large (code too_large). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    adminSendMessage: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AdminSendMessageRequest"];
            };
        };
        responses: {
            /** @description A retry: the message stored earlier with this clientMsgId. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Message"];
                };
            };
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Message"];
                };
            };
            /** @description Accepted durably, seq pending: only seq is not filled in yet. */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Message"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The request body or the uploaded file is too large (code too_large). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable or too slow (code unavailable): retry later. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listReports: {
        parameters: {
            query?: {
                /** @description Only reports with this status; omit for all. */
                status?: "open" | "resolved" | "dismissed";
                /** @description The next value of the previous page; omit for the first page. */
                cursor?: string;
                /** @description Page size (default 50). */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReportList"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    closeReport: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Report id. */
                reportId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CloseReportRequest"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Report"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflicts with the current state (code already_exists or conflict). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The request body or the uploaded file is too large (code too_large). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    adminCreateUser: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AdminCreateUserRequest"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflicts with the current state (code already_exists or conflict). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The request body or the uploaded file is too large (code too_large). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    adminUpdateUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description User id. */
                userId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AdminUpdateUserRequest"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflicts with the current state (code already_exists or conflict). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The request body or the uploaded file is too large (code too_large). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    adminDeactivateUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description User id. */
                userId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    adminReactivateUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description User id. */
                userId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listWebhooks: {
        parameters: {
            query?: {
                /** @description The next value of the previous page; omit for the first page. */
                cursor?: string;
                /** @description Page size (default 50). */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookList"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateWebhookRequest"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CreatedWebhook"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The request body or the uploaded file is too large (code too_large). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deleteWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Webhook id. */
                webhookId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description No Content */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listWebhookDeliveries: {
        parameters: {
            query?: {
                /** @description Only deliveries with this status; omit for all. */
                status?: "pending" | "delivered" | "failed";
                /** @description The next value of the previous page; omit for the first page. */
                cursor?: string;
                /** @description Page size (default 50). */
                limit?: number;
            };
            header?: never;
            path: {
                /** @description Webhook id. */
                webhookId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookDeliveryList"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    redeliverWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Webhook id. */
                webhookId: string;
                /** @description Delivery id. */
                deliveryId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookDelivery"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getAttachment: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Attachment id. */
                attachmentId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Attachment"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    downloadAttachment: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Attachment id. */
                attachmentId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The file. */
            200: {
                headers: {
                    /** @description attachment, with the file name RFC 5987-encoded. */
                    "Content-Disposition"?: string;
                    /** @description Size in bytes. */
                    "Content-Length"?: number;
                    /** @description The attachment's sniffed type. */
                    "Content-Type"?: string;
                    /** @description nosniff */
                    "X-Content-Type-Options"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/octet-stream": string;
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getAttachmentThumbnail: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Attachment id. */
                attachmentId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The thumbnail (image/jpeg or image/png). */
            200: {
                headers: {
                    /** @description inline, with the file name RFC 5987-encoded. */
                    "Content-Disposition"?: string;
                    /** @description Size in bytes. */
                    "Content-Length"?: number;
                    /** @description The attachment's sniffed type. */
                    "Content-Type"?: string;
                    /** @description nosniff */
                    "X-Content-Type-Options"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/octet-stream": string;
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listBlocks: {
        parameters: {
            query?: {
                /** @description The next value of the previous page; omit for the first page. */
                cursor?: string;
                /** @description Page size (default 50). */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BlockList"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    blockUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description User id. */
                userId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description No Content */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    unblockUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description User id. */
                userId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description No Content */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listChannels: {
        parameters: {
            query?: {
                /** @description Matches part of the title (case-insensitive); empty lists all channels. */
                q?: string;
                /** @description The next value of the previous page; omit for the first page. */
                cursor?: string;
                /** @description Page size (default 50). */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ChannelList"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listConversations: {
        parameters: {
            query?: {
                /** @description The next value of the previous page; omit for the first page. */
                cursor?: string;
                /** @description Page size (default 50). */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConversationList"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createConversation: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateConversationRequest"];
            };
        };
        responses: {
            /** @description The direct conversation existed already. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Conversation"];
                };
            };
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Conversation"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The request body or the uploaded file is too large (code too_large). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getConversation: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Conversation"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    updateConversation: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateConversationRequest"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Conversation"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The request body or the uploaded file is too large (code too_large). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    uploadAttachment: {
        parameters: {
            query: {
                /** @description The file's name; it is sanitized, and its extension must agree with the content. */
                name: string;
            };
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/octet-stream": string;
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Attachment"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The request body or the uploaded file is too large (code too_large). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listBans: {
        parameters: {
            query?: {
                /** @description The next value of the previous page; omit for the first page. */
                cursor?: string;
                /** @description Page size (default 50). */
                limit?: number;
            };
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BanList"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflicts with the current state (code already_exists or conflict). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    banUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["BanRequest"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Ban"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflicts with the current state (code already_exists or conflict). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The request body or the uploaded file is too large (code too_large). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    unbanUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
                /** @description User id of the member. */
                userId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description No Content */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflicts with the current state (code already_exists or conflict). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listEvents: {
        parameters: {
            query?: {
                /** @description Return the events after this seq (exclusive); 0 from the start. */
                after?: number;
                /** @description Page size (default 100). */
                limit?: number;
            };
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EventList"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    joinConversation: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Conversation"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    leaveConversation: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description No Content */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflicts with the current state (code already_exists or conflict). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listMembers: {
        parameters: {
            query?: {
                /** @description The next value of the previous page; omit for the first page. */
                cursor?: string;
                /** @description Page size (default 50). */
                limit?: number;
            };
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MemberList"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    addMembers: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AddMembersRequest"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MemberList"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The request body or the uploaded file is too large (code too_large). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    removeMember: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
                /** @description User id of the member. */
                userId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description No Content */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflicts with the current state (code already_exists or conflict). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    updateMember: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
                /** @description User id of the member. */
                userId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateMemberRequest"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Member"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflicts with the current state (code already_exists or conflict). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The request body or the uploaded file is too large (code too_large). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    muteMember: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
                /** @description User id of the member. */
                userId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MuteRequest"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Member"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflicts with the current state (code already_exists or conflict). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The request body or the uploaded file is too large (code too_large). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    unmuteMember: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
                /** @description User id of the member. */
                userId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Member"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflicts with the current state (code already_exists or conflict). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listMessages: {
        parameters: {
            query?: {
                /** @description Return the messages right before this seq (exclusive). Without before and after: the latest messages. */
                before?: number;
                /** @description Return the messages right after this seq (exclusive; 0: from the first message). Not together with before. */
                after?: number;
                /** @description Page size (default 50). */
                limit?: number;
            };
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageList"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    sendMessage: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SendMessageRequest"];
            };
        };
        responses: {
            /** @description A retry: the message stored earlier with this clientMsgId. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Message"];
                };
            };
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Message"];
                };
            };
            /** @description Accepted durably, seq pending: only seq is not filled in yet. */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Message"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The request body or the uploaded file is too large (code too_large). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable or too slow (code unavailable): retry later. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deleteMessage: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
                /** @description Message id. */
                messageId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Message"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    editMessage: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
                /** @description Message id. */
                messageId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EditMessageRequest"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Message"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflicts with the current state (code already_exists or conflict). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The request body or the uploaded file is too large (code too_large). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    pinMessage: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
                /** @description Message id. */
                messageId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Message"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflicts with the current state (code already_exists or conflict). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    unpinMessage: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
                /** @description Message id. */
                messageId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Message"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    addReaction: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
                /** @description Message id. */
                messageId: string;
                /** @description One emoji, or a :shortcode: such as :thumbsup: (see the README for the set); URL-encoded. */
                emoji: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Reactions"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflicts with the current state (code already_exists or conflict). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    removeReaction: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
                /** @description Message id. */
                messageId: string;
                /** @description One emoji, or a :shortcode: such as :thumbsup: (see the README for the set); URL-encoded. */
                emoji: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Reactions"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    reportMessage: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
                /** @description Message id. */
                messageId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ReportRequest"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Report"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflicts with the current state (code already_exists or conflict). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The request body or the uploaded file is too large (code too_large). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    setNotifications: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["NotificationsRequest"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Conversation"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The request body or the uploaded file is too large (code too_large). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listPins: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PinList"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    markRead: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MarkReadRequest"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReadState"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The request body or the uploaded file is too large (code too_large). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    setSlowMode: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SlowModeRequest"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Conversation"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflicts with the current state (code already_exists or conflict). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The request body or the uploaded file is too large (code too_large). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getThread: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
                /** @description Id of the thread's first (top-level) message. */
                rootId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Thread"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    followThread: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
                /** @description Id of the thread's first (top-level) message. */
                rootId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ThreadState"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    unfollowThread: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
                /** @description Id of the thread's first (top-level) message. */
                rootId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ThreadState"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listThreadMessages: {
        parameters: {
            query?: {
                /** @description Return the replies right before this seq (exclusive). Without before and after: the latest replies. */
                before?: number;
                /** @description Return the replies right after this seq (exclusive; 0: from the first). Not together with before. */
                after?: number;
                /** @description Page size (default 50). */
                limit?: number;
            };
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
                /** @description Id of the thread's first (top-level) message. */
                rootId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageList"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    markThreadRead: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Conversation id. */
                conversationId: string;
                /** @description Id of the thread's first (top-level) message. */
                rootId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MarkReadRequest"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReadState"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The request body or the uploaded file is too large (code too_large). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listMentions: {
        parameters: {
            query?: {
                /** @description The next value of the previous page; omit for the first page. */
                cursor?: string;
                /** @description Page size (default 50). */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MentionList"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getPresence: {
        parameters: {
            query?: {
                /** @description Comma-separated user ids (1 to 200). */
                userIds?: string[] | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PresenceList"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    searchMessages: {
        parameters: {
            query: {
                /** @description Search text, 1 to 200 characters: words (letters and digits, case-insensitive), all of which must occur, and "quoted phrases", whose words must occur in order. Other characters only separate words. */
                q: string;
                /** @description Only this conversation. */
                conversationId?: string;
                /** @description Only messages of this sender. */
                senderId?: string;
                /** @description Only messages created at or after this time (RFC 3339). */
                after?: string;
                /** @description Only messages created before this time (RFC 3339). */
                before?: string;
                /** @description The next value of the previous page; omit for the first page. */
                cursor?: string;
                /** @description Page size (default 20; larger than 100 counts as 100). */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SearchResults"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createSession: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["LoginRequest"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Session"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The request body or the uploaded file is too large (code too_large). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable or too slow (code unavailable): retry later. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deleteAllSessions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description No Content */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deleteCurrentSession: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description No Content */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listThreads: {
        parameters: {
            query?: {
                /** @description The next value of the previous page; omit for the first page. */
                cursor?: string;
                /** @description Page size (default 50). */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ThreadList"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    searchUsers: {
        parameters: {
            query?: {
                /** @description Matches a username prefix or part of a display name (case-insensitive); empty lists everyone. */
                q?: string;
                /** @description The next value of the previous page; omit for the first page. */
                cursor?: string;
                /** @description Page size (default 50). */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserList"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    registerUser: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RegisterRequest"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflicts with the current state (code already_exists or conflict). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The request body or the uploaded file is too large (code too_large). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable or too slow (code unavailable): retry later. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getMe: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    changePassword: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PasswordChange"];
            };
        };
        responses: {
            /** @description No Content */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Invalid input (code invalid_argument): malformed JSON, a wrong type, a missing field or a value out of range. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The caller may not do this (code permission_denied). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The request body or the uploaded file is too large (code too_large). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (code rate_limited): wait Retry-After seconds (retryAfterMs milliseconds). */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description User id. */
                userId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            /** @description Missing, invalid or expired bearer token (code unauthenticated). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found, or not visible to the caller (code not_found). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (code internal). */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
}
