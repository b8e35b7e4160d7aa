"""The app's settings with channels_redis' stock pub/sub layer, for bench/ws_fanout.py's baseline row."""
from config.settings import *  # noqa: F403
from config.settings import CHANNEL_LAYERS

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {k: v for k, v in CHANNEL_LAYERS["default"]["CONFIG"].items() if k != "capacity"},
    }
}
