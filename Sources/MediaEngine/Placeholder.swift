// MediaEngine
import COpus
import CSRTP
import CALSA
