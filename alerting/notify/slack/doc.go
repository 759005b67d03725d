// Package slack owns the chat receivers that speak Slack's message formats: Slack's Web API
// (chat.postMessage through slack-go, with a severity-coloured attachment per alert and the
// resolution posted in the firing message's thread), Slack incoming webhooks, and the
// Slack-compatible incoming webhooks of Rocket.Chat and Mattermost, which many public bodies run
// on premises. Each flavour gets its own markup (mrkdwn or Markdown) from package templates.
package slack
